"""National identifier arithmetic (pure Python): Luhn keys and idNat prefixes (TRE_G08).

An idNat is a prefix naming the registry followed by that registry's identifier:
``8`` + RPPS (11 digits, the last a Luhn key), ``0`` + ADELI (9 characters), ``3`` FINESS,
``5`` SIRET, ``6`` RPPS practice, ``10`` + an MSSanté address for people with no other id.
"""

from __future__ import annotations

from dataclasses import dataclass


def ascii_digits(value: str | bytes) -> bool:
    """Only the ten ASCII digits: ``str.isdigit`` also accepts fullwidth "２" (which would
    pass a key check and be stored) and superscript "²" (which ``int`` then refuses)."""
    return value.isascii() and value.isdigit()


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (all decimal) ends with a correct Luhn check digit."""
    if not ascii_digits(digits) or len(digits) < 2:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@dataclass(frozen=True)
class IdNat:
    value: str
    registry: str  # "RPPS", "ADELI", "FINESS", "SIRET", "RPPS_CABINET", "MSSANTE", "OTHER"
    local_id: str


class InvalidIdNat(ValueError):
    """The identifier does not have the shape its prefix announces."""


def idnat_parse(value: str, *, lenient: bool = False) -> IdNat:
    """Parse and check an idNat; ``lenient`` accepts unknown prefixes (PSC test accounts)."""
    value = (value or "").strip()
    if not value:
        raise InvalidIdNat("empty national identifier")
    if value.startswith("10") and "@" in value:
        return IdNat(value, "MSSANTE", value[2:])
    prefix, rest = value[0], value[1:]
    if prefix == "8":
        if len(rest) != 11 or not ascii_digits(rest):
            raise InvalidIdNat("an RPPS idNat is 8 followed by 11 digits")
        if not luhn_valid(rest):
            raise InvalidIdNat("RPPS Luhn key does not match")
        return IdNat(value, "RPPS", rest)
    if prefix == "0":
        if len(rest) != 9 or not rest.isalnum():
            raise InvalidIdNat("an ADELI idNat is 0 followed by 9 characters")
        return IdNat(value, "ADELI", rest)
    if prefix in "356" and rest and rest.replace("/", "").isalnum():
        registry = {"3": "FINESS", "5": "SIRET", "6": "RPPS_CABINET"}[prefix]
        return IdNat(value, registry, rest)
    if lenient and value.isalnum():
        return IdNat(value, "OTHER", value)
    raise InvalidIdNat(f"unknown national identifier prefix {prefix!r}")


def ins_valid(matricule: str) -> bool:
    """An INS matricule (NIR/NIA): 13 characters and a 2-digit key = 97 - (number mod 97),
    Corsica's 2A/2B counted as 19/18."""
    value = (matricule or "").strip().upper()
    if len(value) != 15 or not ascii_digits(value[13:]):
        return False
    body = value[:13]
    if body[5:7] in ("2A", "2B"):
        body = body[:5] + ("19" if body[5:7] == "2A" else "18") + body[7:]
    if not ascii_digits(body):
        return False
    return int(value[13:]) == 97 - int(body) % 97
