"""Identifiers are ASCII digits only (issue 27, point 3): fullwidth digits passed the INS key
check and were stored; superscript digits made ``int`` raise (a 500 on CSV import and in
compose). A property test over arbitrary Unicode on every INS entry point: a clear refusal,
never an exception."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.documents.timestamps import hl7_time
from apps.patients.registry_csv import RefusedLine, registry_rows
from apps.webmail.management.commands.document_examples import DEMO_AUTHOR, demo_fields
from mailproto.identifiers import ascii_digits, ins_valid, luhn_valid
from mss.ins import InsInvalid, ins_parse

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
FULLWIDTH = "２７９０３５１２１５１８９８９"
SUPERSCRIPT = "²⁷⁹⁰³⁵¹²¹⁵¹⁸⁹⁸⁹"


def test_only_ascii_digits_count_as_digits() -> None:
    assert ascii_digits("279035121518989") and ascii_digits(b"12")
    assert not ascii_digits(FULLWIDTH) and not ascii_digits(SUPERSCRIPT) and not ascii_digits("")
    assert ins_valid("279035121518989")
    assert not ins_valid(FULLWIDTH) and not ins_valid(SUPERSCRIPT)
    assert not luhn_valid("８０１２３４５６７８９")
    for value in (FULLWIDTH, SUPERSCRIPT, "27903512151898²"):
        with pytest.raises(InsInvalid):
            ins_parse(value)
    assert hl7_time("20210104+01⁰⁰") is not None and hl7_time("20210104+01⁰⁰").tzinfo is None  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_no_unicode_string_breaks_an_ins_entry_point(text: str) -> None:
    assert isinstance(ins_valid(text), bool)
    try:
        ins = ins_parse(text)
    except InsInvalid:
        pass
    else:
        assert ins.matricule.isascii()
    hl7_time(text)  # a CDA timestamp is sender text too
    # compose's "Joindre un document de santé": a French refusal, never an exception
    from apps.flows.health_documents import DocumentRefused, health_document_request

    fields = demo_fields()
    try:
        request = health_document_request(fields=type(fields)(**{**fields.__dict__, "ins": text}),
                                          author=DEMO_AUTHOR, organisation=None, now=NOW, source_oid="1.2.3")
    except DocumentRefused:
        pass
    else:
        assert request.patient.ins.isascii() and ins_valid(request.patient.ins)
    line = text.replace(";", ",").replace("\n", " ").replace("\r", " ")
    rows = list(registry_rows(f"INS;Type INS;Nom naissance;Prénoms;Date naissance;Sexe\n{line};NIR;A;B;01/01/1980;F\n"))
    assert len(rows) <= 1 and all(isinstance(r, RefusedLine) or r.matricule.isascii() for r in rows)
