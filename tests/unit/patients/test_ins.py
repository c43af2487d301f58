"""The INS (issue 14): real-format examples (Corsica, NIA, test and demo OIDs) and a
property test: any 13-digit body with its computed key validates, any one-digit change
fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mss.ins import (
    DEMO_OID,
    NIA_OID,
    NIR_OID,
    TEST_OID,
    InsInvalid,
    Usage,
    ins_from_address,
    ins_key,
    ins_parse,
)


@pytest.mark.parametrize("matricule, oid, register, usage", [
    ("279035121518989", TEST_OID, "NIR", Usage.TEST),   # the ANS samples' test patient
    ("277076322082910", NIR_OID, "NIR", Usage.REAL),    # the ANS samples' other patient
    ("1 84 12 2A 004 005 44", NIR_OID, "NIR", Usage.REAL),  # Corsica (2A), typed with spaces
    ("184122B00400571", DEMO_OID, "NIR", Usage.DEMO),  # Corsica (2B), demo
    ("780017512345651", NIA_OID, "NIA", Usage.REAL),
])
def test_real_format_examples(matricule: str, oid: str, register: str, usage: Usage) -> None:
    ins = ins_parse(matricule, oid)
    assert (ins.register, ins.usage, len(ins.matricule)) == (register, usage, 15)
    assert ins.address("patient.mssante.fr") == f"{ins.matricule}@patient.mssante.fr"


@pytest.mark.parametrize("matricule, oid, reason", [
    ("27903512151898", NIR_OID, "length"),
    ("2790351215189890", NIR_OID, "length"),
    ("27903X121518989", NIR_OID, "characters"),
    ("279035121518988", NIR_OID, "key"),
    ("279035121518989", "1.2.250.1.999", "oid"),
])
def test_what_is_refused_and_why(matricule: str, oid: str, reason: str) -> None:
    with pytest.raises(InsInvalid) as refused:
        ins_parse(matricule, oid)
    assert refused.value.reason == reason


def test_test_and_demo_identities_never_pass_as_real_ones_where_forbidden() -> None:
    for oid in (TEST_OID, DEMO_OID):
        with pytest.raises(InsInvalid) as refused:
            ins_parse("279035121518989", oid, real_only=True)
        assert refused.value.reason == "not_real"
    assert ins_parse("279035121518989", NIR_OID, real_only=True).usage is Usage.REAL


def test_the_address_of_the_patients_domain_gives_the_ins_back() -> None:
    found = ins_from_address("279035121518989@patient.mssante.fr", "patient.mssante.fr")
    assert found is not None and found.matricule == "279035121518989"
    assert ins_from_address("279035121518989@medecin.mssante.fr", "patient.mssante.fr") is None
    assert ins_from_address("279035121518988@patient.mssante.fr", "patient.mssante.fr") is None


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_any_body_with_its_key_validates(body: str) -> None:
    assert ins_parse(body + ins_key(body)).matricule == body + ins_key(body)


@pytest.mark.requirement("ECO.3.1.5")
@given(st.text(alphabet="0123456789", min_size=13, max_size=13), st.integers(0, 14), st.integers(1, 9))
def test_any_single_digit_change_fails(body: str, position: int, shift: int) -> None:
    good = body + ins_key(body)
    changed = good[:position] + str((int(good[position]) + shift) % 10) + good[position + 1:]
    with pytest.raises(InsInvalid):
        ins_parse(changed)
