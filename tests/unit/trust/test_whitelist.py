"""Whitelist parsing on hand-made variants (tests/fixtures) and the real sample (shared)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from apps.trust.whitelist import WhitelistError, normalize_domain, whitelist_parse
from tests.conftest import shared_fixture

GOOD = (Path(__file__).resolve().parents[2] / "fixtures" / "listeblanche-test.xml").read_bytes()


def test_parses_and_normalises_case_and_unicode() -> None:
    parsed = whitelist_parse(GOOD)
    assert len(parsed.domains) == 4 and not parsed.repaired
    assert parsed.names == {"chu-exemple.mssante.fr", "xn--hpital-sant-lbb6k.mssante.fr", "patient.mssante.fr"}
    assert parsed.generated_at and parsed.generated_at.year == 2026


def test_missing_closing_root_tag_is_tolerated() -> None:
    parsed = whitelist_parse(GOOD.rstrip().removesuffix(b"</ListeBlancheMSSante>"))
    assert parsed.repaired and len(parsed.domains) == 4


@pytest.mark.parametrize("broken", [
    GOOD[: len(GOOD) // 2],  # cut in the middle of a Domaine
    GOOD.replace(b"</ListeDomaines>", b""),  # cut after a Domaine
    b"",
    b"<ListeBlancheMSSante xmlns='https://listeblanche.mssante.fr/schema'><ListeDomaines/></ListeBlancheMSSante>",
    b"<autre/>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ListeBlancheMSSante>&e;</ListeBlancheMSSante>',
])
def test_truncated_empty_or_hostile_lists_are_refused(broken: bytes) -> None:
    with pytest.raises(WhitelistError):
        whitelist_parse(broken)


def test_checksum() -> None:
    good_sum = hashlib.sha256(GOOD).hexdigest()
    assert whitelist_parse(GOOD, expected_sha256=f"{good_sum}  listeblanchemssante.xml\n")
    with pytest.raises(WhitelistError, match="checksum"):
        whitelist_parse(GOOD, expected_sha256="0" * 64)


@pytest.mark.parametrize("value,expected", [
    ("Medecin.MSSante.fr", "medecin.mssante.fr"), ("medecin.mssante.fr.", "medecin.mssante.fr"),
    ("hôpital.fr", "xn--hpital-ixa.fr"), ("localhost", None), ("a b.fr", None), ("-x.fr", None), ("", None)])
def test_normalize_domain(value: str, expected: str | None) -> None:
    assert normalize_domain(value) == expected


def test_real_sample_from_shared_fixtures() -> None:
    data = shared_fixture("mssante", "listeblanchemssante_sample.xml").read_bytes()
    parsed = whitelist_parse(data)
    assert len(parsed.domains) == 13
    assert "patient.mssante.fr" in parsed.names and "medecin.mssante.fr" in parsed.names
    assert whitelist_parse(data.rstrip().removesuffix(b"</ListeBlancheMSSante>")).repaired
