"""The urgent transfer sheet an EHPAD sends with a resident to the emergency department (issue
26): a CDA R2 N3 of the CI-SIS volet DLU-EHPAD, model FLUDT ("fiche de liaison d'urgence /
document de transfert"), its sections and structured entries as the volet's schematron and
the CI-SIS content modules require: the transfer (reason, time, destination), the vital
signs, the observations (consciousness, pain), the last intake of the usual treatment, the
last meal, the prostheses and personal belongings, comments. The header is the structuration
minimale one every document shares (``header``). Pure Python; the agency's validators judge
what it writes (tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from .header import XSI, e, ts
from .model import DocumentRequest, Organisation, request_check
from .n3 import (
    CIM10,
    MEDICATION,
    PRODUCT,
    TA_ASIP,
    comments_section_add,
    devices_section_add,
    document_start,
    entry_add,
    loinc,
    moment_text,
    observation_add,
    section_add,
    table_add,
    transfer_section_add,
    value_add,
)

FLUDT_TEMPLATE = "1.2.250.1.213.1.1.1.23"
VITAL_SIGNS = {  # field: (LOINC, label, UCUM unit)
    "pulse": ("8867-4", "Fréquence cardiaque", "/min"),
    "temperature": ("8310-5", "Température corporelle", "Cel"),
    "weight": ("29463-7", "Poids", "kg"),
    "systolic": ("8480-6", "Pression artérielle systolique", "mm[Hg]"),
    "diastolic": ("8462-4", "Pression artérielle diastolique", "mm[Hg]"),
}


@dataclass(frozen=True)
class VitalSigns:
    pulse: Decimal | None = None
    temperature: Decimal | None = None
    weight: Decimal | None = None
    systolic: Decimal | None = None
    diastolic: Decimal | None = None


@dataclass(frozen=True)
class Transfer:
    """What the night nurse fills in, in minutes."""

    reason: str
    departure: dt.datetime
    destination: Organisation  # the emergency department's hospital
    vitals: VitalSigns = VitalSigns()
    conscious: bool = True  # "conscient et éveillé" (TA_ASIP DLU_002), yes or no: the volet requires it
    pain: str = ""  # where it hurts, in words ("" = no recent pain reported)
    last_treatment: dt.datetime | None = None
    last_meal: dt.datetime | None = None
    devices: tuple[str, ...] = ()  # JDV_ProtheseObjetPersonnel codes
    comments: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def fludt_build(request: DocumentRequest, transfer: Transfer, *, document_id: str | None = None) -> bytes:
    """The FLUDT of ``transfer`` for ``request``'s patient, author and EHPAD."""
    request_check(request)
    root, body = document_start(
        request,
        volet=FLUDT_TEMPLATE,
        service_event=("28651-8", "Transfert du patient au service des urgences"),
        document_id=document_id,
        act_start=transfer.departure,
    )
    when = transfer.departure
    _transfer_section(body, transfer)
    _vitals_section(body, transfer.vitals, when)
    _observations_section(body, transfer, when)
    _treatment_section(body, transfer.last_treatment)
    _meal_section(body, transfer.last_meal)
    devices_section_add(body, transfer.devices, when)
    comments_section_add(body, transfer.comments or "Aucun commentaire.")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _transfer_section(body: etree._Element, transfer: Transfer) -> None:
    transfer_section_add(
        body,
        title="Transfert du patient de l'EHPAD vers le SU",
        head="Transfert",
        reason=transfer.reason,
        reason_code=("57277-6", "Motif du transfert vers le service des urgences"),
        departure=transfer.departure,
        destination=transfer.destination,
    )


def _vitals_section(body: etree._Element, vitals: VitalSigns, when: dt.datetime) -> None:
    section, text = section_add(
        body,
        (
            "2.16.840.1.113883.10.20.1.16",
            "1.3.6.1.4.1.19376.1.5.3.1.3.25",
            "1.3.6.1.4.1.19376.1.5.3.1.1.5.3.2",
            "1.2.250.1.213.1.1.2.75",
        ),
        ("8716-3", "Signes vitaux"),
        "Constantes du patient",
        with_id=False,
    )
    # Every sign the volet names, measured or said not to be (the volet requires the organizer).
    measured = [(name, getattr(vitals, name)) for name in VITAL_SIGNS]
    table_add(
        text,
        ("Constante", "Mesure"),
        [
            (
                f"vital-{name}",
                VITAL_SIGNS[name][1],
                f"{value} {VITAL_SIGNS[name][2]}" if value is not None else "non mesurée",
            )
            for name, value in measured
        ],
    )
    organizer = entry_add(
        e(section, "entry"),
        "organizer",
        "CLUSTER",
        templates=(
            "2.16.840.1.113883.10.20.1.32",
            "2.16.840.1.113883.10.20.1.35",
            "1.3.6.1.4.1.19376.1.5.3.1.4.13.1",
            "1.2.250.1.213.1.1.3.49",
        ),
        code=loinc("85353-1", "Signes vitaux"),
    )
    e(organizer, "effectiveTime", value=ts(when))
    for name, value in measured:
        code, label, unit = VITAL_SIGNS[name]
        observation = entry_add(
            e(organizer, "component", typeCode="COMP"),
            "observation",
            "OBS",
            templates=(
                "2.16.840.1.113883.10.20.1.31",
                "1.3.6.1.4.1.19376.1.5.3.1.4.13",
                "1.3.6.1.4.1.19376.1.5.3.1.4.13.2",
                "1.2.250.1.213.1.1.3.50",
            ),
            code=loinc(code, label),
            reference=f"vital-{name}",
        )
        e(observation, "effectiveTime", value=ts(when))
        if value is None:
            value_add(observation, "PQ", nullFlavor="NI")
        else:
            value_add(observation, "PQ", value=str(value), unit=unit)


def _observations_section(body: etree._Element, transfer: Transfer, when: dt.datetime) -> None:
    section, text = section_add(
        body,
        ("1.3.6.1.4.1.19376.1.5.3.1.3.27", "1.3.6.1.4.1.19376.1.5.3.1.3.28", "1.2.250.1.213.1.1.2.151"),
        ("30954-2", "Résultats d'examens"),
        "Observations",
    )
    rows = [
        (
            "etat-conscience",
            "Etat de conscience",
            "Conscient et éveillé" if transfer.conscious else "Non (ni conscient ni éveillé)",
        ),
        ("douleur", "Douleurs récentes", transfer.pain or "Aucune signalée"),
    ]
    table_add(text, ("Observation", "Résultat"), rows)
    procedure = entry_add(
        e(section, "entry"),
        "procedure",
        "PROC",
        templates=(
            "2.16.840.1.113883.10.20.1.29",
            "1.3.6.1.4.1.19376.1.5.3.1.4.19",
            "1.2.250.1.213.1.1.3.62",
        ),
        code="NA",
        reference="etat-conscience",
        status="cancelled",
    )
    e(procedure, "effectiveTime", value=ts(when))
    observation = observation_add(
        section, code=("DLU_002", "Conscient et éveillé", TA_ASIP), reference="etat-conscience", when=when
    )
    value_add(observation, "BL", value="true" if transfer.conscious else "false")
    if transfer.pain:
        observation = observation_add(
            section, code=("R52.9", "Douleur, sans précision", CIM10), reference="douleur", when=when
        )
        value_add(observation, "BL", value="true")


def _treatment_section(body: etree._Element, last: dt.datetime | None) -> None:
    section, text = section_add(
        body,
        ("2.16.840.1.113883.10.20.1.8", "1.3.6.1.4.1.19376.1.5.3.1.3.19", "1.2.250.1.213.1.1.2.143"),
        ("10160-0", "Traitements"),
        "Date et heure de la dernière prise du traitement habituel",
        with_id=False,
    )
    e(e(text, "paragraph"), "content", moment_text(last) if last else "Non renseignée", ID="derniere-prise")
    administration = entry_add(
        e(section, "entry"),
        "substanceAdministration",
        "SBADM",
        templates=MEDICATION,
        code="NA",
        reference="derniere-prise",
    )
    period = e(administration, "effectiveTime", **{f"{{{XSI}}}type": "IVL_TS"})
    if last:
        e(period, "low", value=ts(last))
        e(period, "high", value=ts(last + dt.timedelta(minutes=1)))
    else:
        e(period, "low", nullFlavor="UNK")
        e(period, "high", nullFlavor="UNK")
    e(administration, "effectiveTime", operator="A")
    e(administration, "routeCode", nullFlavor="NA")
    product = e(e(administration, "consumable"), "manufacturedProduct")
    for template in PRODUCT:
        e(product, "templateId", root=template)
    material = e(product, "manufacturedMaterial")
    e(material, "code", nullFlavor="UNK")
    e(material, "name", nullFlavor="UNK")


def _meal_section(body: etree._Element, last: dt.datetime | None) -> None:
    section, text = section_add(
        body,
        ("1.3.6.1.4.1.19376.1.7.3.1.1.13.5", "1.2.250.1.213.1.1.2.162"),
        ("47420-5", "Évaluation du statut fonctionnel"),
        "Date et heure du dernier repas",
        with_id=False,
    )
    e(e(text, "paragraph"), "content", moment_text(last) if last else "Non renseignée", ID="dernier-repas")
    observation = observation_add(
        section,
        code=("GEN-244", "Date et heure du dernier repas", TA_ASIP),
        reference="dernier-repas",
        when=last or dt.datetime.now(dt.UTC),
    )
    if last is None:
        observation.find("{urn:hl7-org:v3}effectiveTime").attrib.clear()  # type: ignore[union-attr]
        observation.find("{urn:hl7-org:v3}effectiveTime").set("nullFlavor", "UNK")  # type: ignore[union-attr]
    value_add(observation, "REAL", nullFlavor="NA")
