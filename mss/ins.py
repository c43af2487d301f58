"""The INS, the patient's national health identifier (pure Python, no Django).

A matricule is 15 characters: 13 (the NIR, or a NIA for people waiting for one) and a
2-digit key = 97 − (the 13 as a number mod 97), Corsica's ``2A``/``2B`` counted as 19/18
(mailproto.identifiers.ins_valid). Its OID says which register and whether it is real:
NIR ``1.2.250.1.213.1.4.8``, NIA ``.9``, NIR test ``.10``, NIR demo ``.11``. Test and demo
identities never pass as real ones where production settings forbid them. An INS is
*qualified* only when the INSi teleservice verified it: the flag travels with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mailproto.identifiers import ascii_digits, ins_valid

NIR_OID = "1.2.250.1.213.1.4.8"
NIA_OID = "1.2.250.1.213.1.4.9"
TEST_OID = "1.2.250.1.213.1.4.10"
DEMO_OID = "1.2.250.1.213.1.4.11"


class Usage(StrEnum):
    REAL = "real"
    TEST = "test"
    DEMO = "demo"


OIDS: dict[str, tuple[str, Usage]] = {
    NIR_OID: ("NIR", Usage.REAL), NIA_OID: ("NIA", Usage.REAL),
    TEST_OID: ("NIR", Usage.TEST), DEMO_OID: ("NIR", Usage.DEMO),
}
# By register, for readers: the real ones, and the test and demonstration ones (shown as such).
REAL_OIDS = {oid: register for oid, (register, usage) in OIDS.items() if usage is Usage.REAL}
TEST_OIDS = {oid: register for oid, (register, usage) in OIDS.items() if usage is not Usage.REAL}
# What compose offers to choose ("NIR", "NIA", and "TEST" where test INS are allowed).
KIND_OIDS = {"NIR": NIR_OID, "NIA": NIA_OID, "TEST": TEST_OID}


class InsInvalid(ValueError):
    """``reason``: "length", "characters", "key", "oid" or "not_real"."""

    def __init__(self, reason: str, value: str = "") -> None:
        super().__init__(f"{reason}: {value[:40]!r}")
        self.reason = reason


@dataclass(frozen=True)
class Ins:
    matricule: str
    oid: str
    qualified: bool = False

    @property
    def register(self) -> str:
        return OIDS[self.oid][0]

    @property
    def usage(self) -> Usage:
        return OIDS[self.oid][1]

    @property
    def key(self) -> str:
        return self.matricule[13:]

    def address(self, domain: str) -> str:
        """The patient's Mon espace santé mailbox: ``<matricule>@<patients' domain>``."""
        return f"{self.matricule}@{domain}"


def ins_key(body: str) -> str:
    """The 2-digit key of a 13-character body (Corsica's 2A/2B counted as 19/18)."""
    body = body.upper()
    if body[5:7] in ("2A", "2B"):
        body = body[:5] + ("19" if body[5:7] == "2A" else "18") + body[7:]
    if len(body) != 13 or not ascii_digits(body):
        raise InsInvalid("characters", body)
    return f"{97 - int(body) % 97:02d}"


def ins_parse(matricule: str, oid: str = NIR_OID, *, qualified: bool = False, real_only: bool = False) -> Ins:
    """A checked INS; ``InsInvalid`` with the reason otherwise. Spaces are ignored (people
    type "2 79 03 51 215 189 89"); ``real_only`` refuses test and demo OIDs."""
    value = "".join(matricule.split()).upper()
    if len(value) != 15:
        raise InsInvalid("length", value)
    department = value[5:7]
    corsica = department in ("2A", "2B")
    if not ascii_digits(value[:5] + value[7:]) or not (ascii_digits(department) or corsica):
        raise InsInvalid("characters", value)
    if not ins_valid(value):
        raise InsInvalid("key", value)
    if oid not in OIDS:
        raise InsInvalid("oid", oid)
    if real_only and OIDS[oid][1] is not Usage.REAL:
        raise InsInvalid("not_real", oid)
    return Ins(matricule=value, oid=oid, qualified=qualified)


def ins_from_address(address: str, domain: str) -> Ins | None:
    """The INS an address of the patients' domain carries (NIR OID assumed), or None."""
    local, _, host = address.strip().lower().rpartition("@")
    if host != domain.lower():
        return None
    try:
        return ins_parse(local)
    except InsInvalid:
        return None
