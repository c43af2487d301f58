"""Who is a patient sender (issue 27, point 1), read at sync and failing closed: exactly one
"<valid INS>@<patients' domain>" address is a patient; anything else that names the
patients' domain is held as suspect; everyone else is not a patient."""

from __future__ import annotations

import pytest

from mailproto.imap.summaries import SUSPECT_PATIENT, patient_sender

DOMAIN = "patient.mssante.fr"
INS = "279035121518989"


@pytest.mark.parametrize(("from_text", "address", "expected"), [
    (f"Jeanne DUPONT <{INS}@{DOMAIN}>", f"{INS}@{DOMAIN}", INS),
    (f"{INS}@{DOMAIN}", f"{INS}@{DOMAIN}", INS),
    (f"{INS}@PATIENT.MSSANTE.FR", f"{INS}@patient.mssante.fr", INS),
    (f"A <{INS}@{DOMAIN}>, B <x@medecin.mssante.fr>", "x@medecin.mssante.fr", SUSPECT_PATIENT),
    (f"B <x@medecin.mssante.fr>, A <{INS}@{DOMAIN}>", f"{INS}@{DOMAIN}", SUSPECT_PATIENT),
    (f'"{INS}"@{DOMAIN}', f"{INS}@{DOMAIN}", SUSPECT_PATIENT),
    (f"{INS}+x@{DOMAIN}", f"{INS}+x@{DOMAIN}", SUSPECT_PATIENT),
    (f"{INS}@x.{DOMAIN}", f"{INS}@x.{DOMAIN}", SUSPECT_PATIENT),
    (f"{INS}@{DOMAIN}.", f"{INS}@{DOMAIN}.", SUSPECT_PATIENT),
    (f"279035121518988@{DOMAIN}", f"279035121518988@{DOMAIN}", SUSPECT_PATIENT),  # wrong key
    ("Dr Claire MARTIN <claire.martin@medecin.mssante.fr>", "claire.martin@medecin.mssante.fr", ""),
])
def test_a_patient_sender_is_exactly_one_valid_ins_address(from_text: str, address: str, expected: str) -> None:
    assert patient_sender(from_text, address, DOMAIN) == expected
