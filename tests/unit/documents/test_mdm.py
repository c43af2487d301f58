"""Documents handed to the business software (issue 29): one MDM^T02 per CDA as the ANS IG
writes it, and its ACK read back, whatever a sender put in the names."""

from __future__ import annotations

import base64
import datetime as dt

import hl7
import pytest

from apps.documents.cda import cda_read
from apps.documents.mdm import AckUnreadable, Party, ack_read, mdm_build
from tests.unit.documents.builders import n1_pdf

NOW = dt.datetime(2026, 12, 7, 21, 30, tzinfo=dt.UTC)


def build(cda: bytes) -> hl7.Message:
    text = mdm_build(document=cda_read(cda), cda=cda, control_id="MSW-42", now=NOW,
                     sender=Party("MSSANTE-WEB", "EHPAD Les Glycines"), receiver=Party("DUI", "EHPAD|X"))
    assert "\n" not in text and text.count("\r") == 5
    return hl7.parse(text)


def test_the_mdm_carries_the_exact_cda_the_ins_and_the_document_ids() -> None:
    cda = n1_pdf()
    message = build(cda)
    assert str(message.segment("MSH")(9)) == "MDM^T02^MDM_T02" and str(message.segment("MSH")(12)) == "2.5"
    assert str(message.segment("MSH")(10)) == "MSW-42" and str(message.segment("MSH")(6)) == "EHPAD\\F\\X"
    pid = message.segment("PID")
    assert str(pid(3)) == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^INS"
    assert str(pid(5)).startswith("DUPONT^Jeanne") and str(pid(7)) == "19790328" and str(pid(8)) == "F"
    assert str(message.segment("TXA")(2)).startswith("11502-2^")
    encoded = str(message.segment("OBX")(5)).split("^")
    assert encoded[1:4] == ["TEXT", "XML", "Base64"] and base64.b64decode(encoded[4]) == cda


def test_delimiters_a_sender_wrote_cannot_shift_a_field() -> None:
    cda = n1_pdf().replace(b"<family qualifier=\"BR\">DUPONT</family>", b"<family qualifier=\"BR\">DU|PONT^X</family>")
    pid = build(cda).segment("PID")
    assert str(pid(5)).startswith("DU\\F\\PONT\\S\\X^Jeanne") and str(pid(7)) == "19790328"


@pytest.mark.parametrize(("ack", "accepted", "code", "label"), [
    ("MSH|^~\\&|DUI|EHPAD|MSSANTE-WEB|X|20261207||ACK^T02^ACK|1|P|2.5\rMSA|AA|MSW-42", True, "", ""),
    ("MSH|^~\\&|DUI|EHPAD|MSSANTE-WEB|X|20261207||ACK^T02^ACK|1|P|2.5\rMSA|AE|MSW-42|refus\r\r"
     "ERR|||902^Patient inconnu^L|E\r", False, "902", "Patient inconnu"),
    ("MSH|^~\\&|DUI|EHPAD|MSSANTE-WEB|X|20261207||ACK^T02^ACK|1|P|2.5\rMSA|AR|MSW-42|Message mal formé",
     False, "", "Message mal formé"),
])
def test_the_ack_says_accepted_or_why_not(ack: str, accepted: bool, code: str, label: str) -> None:
    read = ack_read(ack)
    assert (read.accepted, read.control_id, read.error_code, read.error_label) == (accepted, "MSW-42", code, label)


@pytest.mark.parametrize("text", ["", "bonjour", "MSH|^~\\&|A\rMSA|ZZ|1", "x" * 70_000])
def test_what_is_not_an_ack_is_refused(text: str) -> None:
    with pytest.raises(AckUnreadable):
        ack_read(text)
