"""Documents handed to the business software as the ANS specifies it (IG "Transmission au LPS
de documents CDA provenant d'un courriel MSSanté"): one HL7 v2.5 MDM^T02 per CDA, and the
business software's ACK read back. Pure Python: no Django here.

The message: MSH (MDM^T02^MDM_T02, v2.5, UTF-8, a control id that stays the same when the
same document is sent again, so that the receiver can tell a retry from a new document),
EVN, PID (the INS in PID-3 with its OID and the identifier type "INS", the birth name and
given names, birth date, sex), PV1, TXA (type as LOINC, the act's date, the CDA's id,
authenticated) and OBX (ED: the CDA itself in base64). Every value a sender wrote goes
through the HL7 escapes, so that no "|" or "^" in a name can shift a field.

The ACK: MSA-1 (AA/CA accepted; AE/AR/CE/CR not), MSA-2 (the control id it answers), and the
reason: ERR-3 (code^text, the IG's 900–906 or HL7's table 0357 codes) or MSA-3's text.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import hl7
from hl7.exceptions import HL7Exception

from mailproto.identifiers import ascii_digits

from .cda import ClinicalDocument
from .produce.metadata import hl7_escape

ACK_MAX_CHARS = 64 * 1024  # an ACK is a few hundred bytes: more is not an ACK
ACCEPTED = ("AA", "CA")


@dataclass(frozen=True, slots=True)
class Party:
    application: str
    facility: str


@dataclass(frozen=True, slots=True)
class Ack:
    code: str  # MSA-1
    control_id: str  # MSA-2: the message it answers
    error_code: str = ""  # "902", or an HL7 code ("207")
    error_label: str = ""  # the receiver's words

    @property
    def accepted(self) -> bool:
        return self.code in ACCEPTED


class AckUnreadable(ValueError):
    """What came back is not an HL7 ACK."""


def _ts(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    return value.strftime("%Y%m%d")


def mdm_build(*, document: ClinicalDocument, cda: bytes, control_id: str, sender: Party, receiver: Party,
              now: dt.datetime) -> str:
    """The MDM^T02 carrying ``cda`` (segments separated by CR, as MLLP carries them)."""
    e = hl7_escape
    patient = document.patient
    ins = f"{e(patient.ins)}^^^&{e(patient.ins_oid)}&ISO^INS" if patient.ins else ""
    given = patient.given_names[0] if patient.given_names else ""
    kind = f"{e(document.type.code)}^{e(document.type.label)}^LN"
    segments = [
        f"MSH|^~\\&|{e(sender.application)}|{e(sender.facility)}|{e(receiver.application)}|"
        f"{e(receiver.facility)}|{_ts(now)}||MDM^T02^MDM_T02|{e(control_id)}|P|2.5|||AL|NE||UNICODE UTF-8",
        f"EVN|T02|{_ts(now)}",
        f"PID|1||{ins}||{e(patient.birth_name)}^{e(given)}^^^^^L||{_ts(patient.birth_date)}|{e(patient.sex)}",
        "PV1|1|N",
        f"TXA|1|{kind}|TX^^XML|{_ts(document.effective)}||||||||{e(document.id)}||||||AU",
        f"OBX|1|ED|{kind}||^TEXT^XML^Base64^{base64.b64encode(cda).decode('ascii')}||||||F",
    ]
    return "\r".join(segments)


def ack_read(text: str) -> Ack:
    """The ACK's verdict; ``AckUnreadable`` for anything else."""
    if not text or len(text) > ACK_MAX_CHARS:
        raise AckUnreadable(f"{len(text or '')} characters")
    try:
        segments = [s for s in text.replace("\n", "\r").strip("\x0b\x1c").split("\r") if s.strip()]
        message = hl7.parse("\r".join(segments))  # blank lines between segments are tolerated
        msa = message.segment("MSA")
    except (KeyError, IndexError, ValueError, HL7Exception) as exc:
        raise AckUnreadable(str(exc)[:200]) from exc
    code = str(msa(1)).strip().upper()[:2]
    control_id = str(msa(2)).strip()[:100] if len(msa) > 2 else ""
    label = str(msa(3)).strip()[:200] if len(msa) > 3 else ""
    error_code = ""
    try:
        err = message.segment("ERR")
    except KeyError:
        err = None
    if err is not None and len(err) > 3:
        words = str(err(3)).split("^")  # ERR-3, a CWE: code^text^system
        first = words[0].strip()
        error_code = first if ascii_digits(first) and len(first) <= 4 else ""
        label = (words[1].strip() if len(words) > 1 and words[1].strip() else label)[:200]
    if code not in ("AA", "AE", "AR", "CA", "CE", "CR"):
        raise AckUnreadable(f"MSA-1 {code!r}")
    return Ack(code=code, control_id=control_id, error_code=error_code, error_label=label)
