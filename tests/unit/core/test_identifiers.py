from __future__ import annotations

import pytest

from mailproto.identifiers import InvalidIdNat, idnat_parse, luhn_valid


def test_luhn() -> None:
    assert luhn_valid("99700123450")
    assert not luhn_valid("99700123451")
    assert not luhn_valid("")
    assert not luhn_valid("9970012345A")


@pytest.mark.parametrize("value,registry", [
    ("899700123450", "RPPS"), ("899700427885", "RPPS"), ("0751234567", "ADELI"),
    ("3690000015", "FINESS"), ("10claire@medecin.mssante.fr", "MSSANTE")])
def test_known_prefixes(value: str, registry: str) -> None:
    assert idnat_parse(value).registry == registry


@pytest.mark.parametrize("value", ["899700123451", "8997001234", "8ABCDEFGHIJK", "", "   ",
                                   "ANS20210107161422", "99700123450"])
def test_refused(value: str) -> None:
    with pytest.raises(InvalidIdNat):
        idnat_parse(value)


def test_lenient_mode_accepts_psc_test_accounts_but_still_checks_rpps_keys() -> None:
    assert idnat_parse("ANS20210107161422", lenient=True).registry == "OTHER"
    with pytest.raises(InvalidIdNat):
        idnat_parse("899700123451", lenient=True)
