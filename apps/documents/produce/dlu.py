"""The resident's urgent liaison file an EHPAD keeps and sends with the FLUDT (issue 26): a CDA
R2 N3 of the DLU-EHPAD volet, model DLU ("dossier de liaison d'urgence"): the preferred
hospital, the long-term treatments, the advance directives (whether they exist, where), the
resident's state (communication, orientation, behaviour, senses, falls… from the volet's
JDV_ObservationEtatPatient), multi-resistant bacteria, the documents joined (from
JDV_ChecklistDLU) and comments, as the volet's schematron and the CI-SIS content modules
require. Pure Python; the agency's validators judge what it writes (tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from ..valuesets import value_set
from .header import e
from .model import DocumentRefusedError, DocumentRequest, Organisation, Professional, request_check
from .n3 import (
    CIM10,
    OBSERVATION,
    Joined,
    Medication,
    comments_section_add,
    document_start,
    entry_add,
    joined_section_add,
    loinc,
    medications_section_add,
    section_add,
    table_add,
    value_add,
)

DLU_TEMPLATE = "1.2.250.1.213.1.1.1.22"


@dataclass(frozen=True)
class ResidentFile:
    """What the EHPAD's team fills once and updates when needed."""

    preferred_hospital: Organisation
    attending_physician: Professional  # the resident's médecin traitant
    treatments: tuple[Medication, ...]
    advance_directives: bool  # written directives exist
    directives_where: str = ""  # where they are kept
    states: tuple[tuple[str, bool], ...] = ()  # (JDV_ObservationEtatPatient code, present?)
    multiresistant_bacteria: bool = False
    joined: tuple[Joined, ...] = ()  # JDV_ChecklistDLU kinds
    comments: str = ""


def dlu_build(request: DocumentRequest, resident: ResidentFile, *, document_id: str | None = None) -> bytes:
    """The DLU of ``resident`` for ``request``'s patient, author and EHPAD."""
    request_check(request)
    if not resident.treatments or not resident.joined:
        # the volet requires the treatments and at least one joined document
        raise DocumentRefusedError("volet", "a DLU needs its treatments and a joined document")
    root, body = document_start(
        request,
        volet=DLU_TEMPLATE,
        service_event=("34117-2", "Historique et clinique"),
        document_id=document_id,
        attending=resident.attending_physician,
    )
    when = request.date
    _preferred_hospital_section(body, resident.preferred_hospital)
    medications_section_add(
        body,
        resident.treatments,
        code=("10160-0", "Historique de la prise médicamenteuse"),
        title="Traitements au long cours",
        templates=(
            "2.16.840.1.113883.10.20.1.8",
            "1.3.6.1.4.1.19376.1.5.3.1.3.19",
            "1.2.250.1.213.1.1.2.143",
        ),
    )
    _directives_section(body, resident, when)
    _states_section(body, resident.states)
    _bacteria_section(body, resident.multiresistant_bacteria)
    joined_section_add(
        body, resident.joined, when, title="Checklist des documents annexés au DLU", kinds="ChecklistDLU"
    )
    if resident.comments:
        comments_section_add(body, resident.comments)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _preferred_hospital_section(body: etree._Element, hospital: Organisation) -> None:
    section, text = section_add(
        body,
        ("1.3.6.1.4.1.19376.1.5.3.1.1.13.2.10", "1.2.250.1.213.1.1.2.172"),
        ("11302-7", "Etablissement de santé de préférence"),
        "Etablissement de santé de préférence",
        with_id=False,
    )
    e(e(text, "paragraph"), "content", hospital.name, ID="es-preference")
    act = entry_add(
        e(section, "entry"),
        "act",
        "ACT",
        mood_code="INT",
        templates=("1.3.6.1.4.1.19376.1.5.3.1.1.10.4.2", "1.2.250.1.213.1.1.3.97"),
        code=loinc("11302-7", "Etablissement de santé de préférence"),
        reference="es-preference",
        status="normal",
    )
    e(act, "effectiveTime", nullFlavor="NAV")
    for kind in ("RCV", "ORG", "DST"):
        participant = e(act, "participant", typeCode=kind)
        e(participant, "time", nullFlavor="NAV")
        role = e(participant, "participantRole", classCode="ROL")
        if hospital.national_id:
            e(role, "id", root="1.2.250.1.71.4.2.2", extension=hospital.national_id)
        else:
            e(role, "id", nullFlavor="UNK")
        if hospital.postcode or hospital.city:
            addr = e(role, "addr")
            if hospital.postcode:
                e(addr, "postalCode", hospital.postcode)
            if hospital.city:
                e(addr, "city", hospital.city)
        e(e(role, "playingEntity"), "name", hospital.name)


def _directives_section(body: etree._Element, resident: ResidentFile, when: dt.datetime) -> None:
    section, text = section_add(
        body,
        (
            "2.16.840.1.113883.10.20.1.1",
            "1.3.6.1.4.1.19376.1.5.3.1.3.34",
            "1.3.6.1.4.1.19376.1.5.3.1.3.35",
            "1.2.250.1.213.1.1.2.157",
        ),
        ("42348-3", "Directives anticipées"),
        "Directives anticipées",
    )
    said = "Oui" if resident.advance_directives else "Non"
    where = (
        f" ({resident.directives_where})" if resident.advance_directives and resident.directives_where else ""
    )
    e(e(text, "paragraph"), "content", f"Directives anticipées rédigées : {said}{where}", ID="directives")
    observation = entry_add(
        e(section, "entry"),
        "observation",
        "OBS",
        templates=(
            "2.16.840.1.113883.10.20.1.17",
            "1.3.6.1.4.1.19376.1.5.3.1.4.13",
            "1.3.6.1.4.1.19376.1.5.3.1.4.13.7",
            "1.2.250.1.213.1.1.3.54",
        ),
        code=loinc("42348-3", "Directives anticipées"),
        reference="directives",
    )
    period = e(observation, "effectiveTime")
    e(period, "low", nullFlavor="UNK")
    e(period, "high", nullFlavor="UNK")
    value_add(observation, "BL", value="true" if resident.advance_directives else "false")


def _states_section(body: etree._Element, states: tuple[tuple[str, bool], ...]) -> None:
    section, text = section_add(
        body,
        ("1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9", "1.3.6.1.4.1.19376.1.7.3.1.1.13.7", "1.2.250.1.213.1.1.2.163"),
        ("42545-4", "Evènements observés"),
        "Observations",
    )
    known = value_set("EtatPatient")
    chosen = [(code, present) for code, present in states if code in known]
    table_add(
        text,
        ("Observation", "Présent"),
        [
            (f"etat-{n}", known[code].label, "oui" if present else "non")
            for n, (code, present) in enumerate(chosen)
        ]
        or [("etat-aucun", "Etat du résident", "non renseigné")],
    )
    for n, (code, present) in enumerate(chosen or [("288575003", True)]):
        concept = known[code]
        observation = entry_add(
            e(section, "entry"),
            "observation",
            "OBS",
            templates=OBSERVATION,
            code=(concept.code, concept.label, concept.system, "SNOMED CT"),
            reference=f"etat-{n}" if chosen else "etat-aucun",
        )
        e(observation, "effectiveTime", nullFlavor="NA")
        if chosen:
            value_add(observation, "BL", value="true" if present else "false")
        else:
            value_add(observation, "BL", nullFlavor="NASK")


def _bacteria_section(body: etree._Element, present: bool) -> None:
    section, text = section_add(
        body,
        ("1.3.6.1.4.1.19376.1.5.3.1.3.27", "1.3.6.1.4.1.19376.1.5.3.1.3.28", "1.2.250.1.213.1.1.2.151"),
        ("30954-2", "Résultats d'examens"),
        "Résultats d'examens",
    )
    e(
        e(text, "paragraph"),
        "content",
        f"Bactérie multirésistante (BMR) : {'oui' if present else 'non'}",
        ID="bmr",
    )
    entry_add(
        e(section, "entry"),
        "procedure",
        "PROC",
        templates=(
            "1.3.6.1.4.1.19376.1.5.3.1.4.19",
            "2.16.840.1.113883.10.20.1.29",
            "1.2.250.1.213.1.1.3.62",
        ),
        code="NA",
        reference="bmr",
    )
    observation = entry_add(
        e(section, "entry"),
        "observation",
        "OBS",
        templates=OBSERVATION,
        code=("U83.71", "Bactérie multirésistante [BMR]", CIM10, "CIM-10"),
        reference="bmr",
    )
    e(observation, "effectiveTime", nullFlavor="NASK")
    value_add(observation, "BL", value="true" if present else "false")


__all__ = ["ResidentFile", "dlu_build"]
