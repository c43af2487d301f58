"""The return sheet the emergency department sends back with the resident (issue 26): a CDA R2
N3 of the DLU-EHPAD volet, model FLUDR ("fiche de liaison d'urgence / document de retour"):
the return to the EHPAD, the discharge diagnoses (CIM-10), the discharge treatments (each
medicine with its CIS code when known, dates and dose), the prostheses and personal
belongings, the documents joined (their PDF in the document) and comments, as the volet's
schematron and the CI-SIS content modules require. Pure Python; the agency's validators
judge what it writes (tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from .header import e
from .model import DocumentRefusedError, DocumentRequest, Organisation, request_check
from .n3 import (
    CIM10,
    SNOMED,
    Joined,
    Medication,
    comments_section_add,
    devices_section_add,
    document_start,
    entry_add,
    joined_section_add,
    medications_section_add,
    reference_element,
    section_add,
    transfer_section_add,
    value_add,
)

FLUDR_TEMPLATE = "1.2.250.1.213.1.1.1.24"


@dataclass(frozen=True)
class Diagnosis:
    code: str  # CIM-10
    label: str


@dataclass(frozen=True)
class ReturnSheet:
    reason: str
    departure: dt.datetime  # leaving the emergency department
    destination: Organisation  # the EHPAD
    diagnoses: tuple[Diagnosis, ...]
    medications: tuple[Medication, ...] = ()
    devices: tuple[str, ...] = ()
    joined: tuple[Joined, ...] = ()
    comments: str = ""


def fludr_build(request: DocumentRequest, sheet: ReturnSheet, *, document_id: str | None = None) -> bytes:
    """The FLUDR of ``sheet`` for ``request``'s patient, author (the emergency physician) and
    hospital."""
    request_check(request)
    if not sheet.diagnoses or not sheet.medications or not sheet.joined:
        # the volet requires a diagnosis, a discharge treatment and a joined document
        raise DocumentRefusedError("volet", "a FLUDR needs a diagnosis, a treatment and a joined document")
    root, body = document_start(
        request,
        volet=FLUDR_TEMPLATE,
        service_event=("28651-8", "Retour du résident à l'EHPAD"),
        document_id=document_id,
        act_start=sheet.departure,
    )
    transfer_section_add(
        body,
        title="Retour du patient à l'EHPAD",
        head="Retour à l'EHPAD",
        reason=sheet.reason,
        reason_code=("15515-0", "Motif du transport"),
        departure=sheet.departure,
        destination=sheet.destination,
    )
    _diagnoses_section(body, sheet)
    medications_section_add(
        body,
        sheet.medications,
        code=("10183-2", "Traitements à la sortie"),
        title="Ordonnance de sortie",
        templates=("1.3.6.1.4.1.19376.1.5.3.1.3.22", "1.2.250.1.213.1.1.2.146"),
    )
    devices_section_add(body, sheet.devices, sheet.departure)
    joined_section_add(
        body, sheet.joined, sheet.departure, title="Documents annexés à la FLUDR", kinds="ChecklistFLUDR"
    )
    if sheet.comments:
        comments_section_add(body, sheet.comments)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _diagnoses_section(body: etree._Element, sheet: ReturnSheet) -> None:
    section, text = section_add(
        body,
        ("1.3.6.1.4.1.19376.1.5.3.1.3.7", "1.2.250.1.213.1.1.2.133"),
        ("11535-2", "Diagnostic de sortie"),
        "Diagnostic ou RPU",
    )
    table = e(text, "table", border="0")
    head = e(e(table, "thead"), "tr")
    for cell in ("Date", "Résumé du passage aux urgences"):
        e(head, "th", cell)
    rows = e(table, "tbody")
    day = sheet.departure.strftime("%Y%m%d")
    for n, diagnosis in enumerate(sheet.diagnoses):
        row = e(rows, "tr")
        e(row, "td", sheet.departure.strftime("%d/%m/%Y"))
        e(e(row, "td"), "content", f"{diagnosis.label} ({diagnosis.code})", ID=f"probleme-{n}")
        act = entry_add(
            e(section, "entry"),
            "act",
            "ACT",
            templates=(
                "2.16.840.1.113883.10.20.1.27",
                "1.3.6.1.4.1.19376.1.5.3.1.4.5.1",
                "1.3.6.1.4.1.19376.1.5.3.1.4.5.2",
                "1.2.250.1.213.1.1.3.39",
            ),
            code="NA",
        )
        period = e(act, "effectiveTime")
        e(period, "low", value=day)
        e(period, "high", nullFlavor="NA")
        observation = entry_add(
            e(act, "entryRelationship", typeCode="SUBJ", inversionInd="false"),
            "observation",
            "OBS",
            negationInd="false",
            templates=(
                "2.16.840.1.113883.10.20.1.28",
                "1.3.6.1.4.1.19376.1.5.3.1.4.5",
                "1.2.250.1.213.1.1.3.37",
            ),
            code=("282291009", "interprétation diagnostique", SNOMED, "SNOMED CT"),
            reference=f"probleme-{n}",
        )
        period = e(observation, "effectiveTime")
        e(period, "low", value=day)
        e(period, "high", nullFlavor="NA")
        value = value_add(
            observation,
            "CD",
            code=diagnosis.code,
            displayName=diagnosis.label,
            codeSystem=CIM10,
            codeSystemName="CIM10",
        )
        e(value, "originalText").append(reference_element(f"#probleme-{n}"))


__all__ = ["Diagnosis", "Joined", "Medication", "ReturnSheet", "fludr_build"]
