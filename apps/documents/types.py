"""Document types a professional may choose when producing a document from a PDF: codes of
the agency's value set JDV_J07-XdsTypeCode-CISIS, their labels read from it (never retyped:
``valuesets``)."""

from __future__ import annotations

from .valuesets import value_set

OFFERED = ("11502-2", "18748-4", "11490-0", "18761-7", "34133-9", "60591-5", "57833-6", "18776-5",
           "74207-2", "11369-6", "51969-4", "85208-7", "83981-1", "88348-8", "28653-4", "34842-5", "80788-3")


def document_types() -> tuple[tuple[str, str], ...]:
    """(code, label) of every type compose offers, labels from JDV_J07."""
    j07 = value_set("J07")
    return tuple((code, j07[code].label) for code in OFFERED)


def document_type_label(code: str) -> str | None:
    return dict(document_types()).get(code)
