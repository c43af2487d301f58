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
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from .header import XSI, e, header_build, ts
from .model import DocumentRequest, Organisation, request_check

FLUDT_TEMPLATE = "1.2.250.1.213.1.1.1.23"
LOINC = "2.16.840.1.113883.6.1"
TA_ASIP = "1.2.250.1.213.1.1.4.322"
EMDN = "1.2.250.1.213.2.68"
SNOMED = "2.16.840.1.113883.6.96"
CIM10 = "2.16.840.1.113883.6.3"
OBSERVATION = ("1.3.6.1.4.1.19376.1.5.3.1.4.13", "1.2.250.1.213.1.1.3.48")
VITAL_SIGNS = {  # field: (LOINC, label, UCUM unit)
    "pulse": ("8867-4", "Fréquence cardiaque", "/min"),
    "temperature": ("8310-5", "Température corporelle", "Cel"),
    "weight": ("29463-7", "Poids", "kg"),
    "systolic": ("8480-6", "Pression artérielle systolique", "mm[Hg]"),
    "diastolic": ("8462-4", "Pression artérielle diastolique", "mm[Hg]"),
}
DEVICES = {  # JDV_ProtheseObjetPersonnel: code → (label, code system)
    "Q021003": ("LUNETTES PRÊTES À PORTER (OU LUNETTES MONTÉES)", EMDN),
    "P0102": ("PROTHÈSES DENTAIRES", EMDN),
    "Y2145": ("DISPOSITIFS ACCOUSTIQUES D'AIDE À L'AUDITION", EMDN),
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


def _uuid() -> str:
    return str(uuid.uuid4()).upper()


def _section(
    body: etree._Element,
    templates: tuple[str, ...],
    code: tuple[str, str],
    title: str,
    *,
    with_id: bool = True,
) -> tuple[etree._Element, etree._Element]:
    section = e(e(body, "component"), "section")
    for template in templates:
        e(section, "templateId", root=template)
    if with_id:
        e(section, "id", root=_uuid())
    e(section, "code", code=code[0], displayName=code[1], codeSystem=LOINC, codeSystemName="LOINC")
    e(section, "title", title)
    return section, e(section, "text")


def _table(text: etree._Element, head: tuple[str, str], rows: list[tuple[str, str, str]]) -> None:
    """A two-column narrative table; a row's first cell carries the content ID its entry points at."""
    table = e(text, "table", border="0")
    row = e(e(table, "thead"), "tr")
    for cell in head:
        e(row, "th", cell)
    body = e(table, "tbody")
    for ident, label, value in rows:
        row = e(body, "tr")
        e(e(row, "td"), "content", label, ID=ident) if ident else e(row, "td", label)
        e(row, "td", value)


def _observation(
    parent: etree._Element,
    *,
    code: tuple[str, str, str],
    reference: str,
    when: dt.datetime,
    templates: tuple[str, ...] = OBSERVATION,
) -> etree._Element:
    observation = e(e(parent, "entry"), "observation", classCode="OBS", moodCode="EVN")
    for template in templates:
        e(observation, "templateId", root=template)
    e(observation, "id", root=_uuid())
    e(observation, "code", code=code[0], displayName=code[1], codeSystem=code[2])
    e(e(observation, "text"), "reference", value=f"#{reference}")
    e(observation, "statusCode", code="completed")
    e(observation, "effectiveTime", value=ts(when))
    return observation


def _value(parent: etree._Element, kind: str, **attributes: str) -> etree._Element:
    return e(parent, "value", **{f"{{{XSI}}}type": kind}, **attributes)


def _moment(moment: dt.datetime) -> str:
    return moment.strftime("le %d/%m/%Y à %Hh%M")


def fludt_build(request: DocumentRequest, transfer: Transfer, *, document_id: str | None = None) -> bytes:
    """The FLUDT of ``transfer`` for ``request``'s patient, author and EHPAD."""
    request_check(request)
    root = header_build(
        request,
        document_id=document_id or uuid.uuid4().hex,
        set_id=uuid.uuid4().hex,
        templates=((FLUDT_TEMPLATE, "2022.01"),),
        service_event=("28651-8", "Transfert du patient au service des urgences", LOINC),
        act_start=transfer.departure,
    )
    body = e(e(root, "component"), "structuredBody")
    when = transfer.departure
    _transfer_section(body, transfer)
    _vitals_section(body, transfer.vitals, when)
    _observations_section(body, transfer, when)
    _treatment_section(body, transfer.last_treatment)
    _meal_section(body, transfer.last_meal)
    _devices_section(body, transfer.devices, when)
    _, text = _section(
        body,
        ("2.16.840.1.113883.10.12.201", "1.3.6.1.4.1.19376.1.4.1.2.16", "1.2.250.1.213.1.1.2.73"),
        ("55112-7", "Commentaire"),
        "Commentaires",
        with_id=False,
    )
    e(text, "paragraph", transfer.comments or "Aucun commentaire.")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _transfer_section(body: etree._Element, transfer: Transfer) -> None:
    section, text = _section(
        body,
        ("1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9", "1.3.6.1.4.1.19376.1.7.3.1.1.13.7", "1.2.250.1.213.1.1.2.163"),
        ("42545-4", "Evènements observés"),
        "Transfert du patient de l'EHPAD vers le SU",
    )
    destination = transfer.destination
    _table(
        text,
        ("Transfert", "Précision"),
        [
            ("transfert-motif", "Motif", transfer.reason),
            ("", "Date", _moment(transfer.departure)),
            ("transfert-ES", "Etablissement", destination.name),
        ],
    )
    observation = _observation(
        section,
        code=("57277-6", "Motif du transfert vers le service des urgences", LOINC),
        reference="transfert-motif",
        when=transfer.departure,
    )
    e(_value(observation, "CD"), "originalText").append(_reference("#transfert-motif"))
    # Sent as the resident leaves: the transfer is planned (INT, "normal"), not yet done.
    act = e(e(section, "entry"), "act", classCode="ACT", moodCode="INT")
    for template in ("1.3.6.1.4.1.19376.1.5.3.1.1.25.1.4.1", "1.2.250.1.213.1.1.3.28"):
        e(act, "templateId", root=template)
    e(act, "id", root=_uuid())
    e(
        act,
        "code",
        code="80413-8",
        displayName="Transfert du patient",
        codeSystem=LOINC,
        codeSystemName="LOINC",
    )
    e(e(act, "text"), "reference", value="#transfert-ES")
    e(act, "statusCode", code="normal")
    period = e(act, "effectiveTime")
    e(period, "low", value=ts(transfer.departure))
    participant = e(act, "participant", typeCode="DST")
    if destination.national_id:
        e(participant, "templateId", root="1.2.250.1.71.4.2.2", extension=destination.national_id)
    role = e(participant, "participantRole", classCode="SDLOC")
    e(role, "id", root=_uuid())
    e(role, "code", code=destination.facility_type or "SA01", codeSystem="1.2.250.1.71.4.2.4")
    if destination.postcode or destination.city:
        addr = e(role, "addr")
        if destination.postcode:
            e(addr, "postalCode", destination.postcode)
        if destination.city:
            e(addr, "city", destination.city)
    e(e(role, "playingEntity", classCode="ENT"), "name", destination.name)


def _reference(value: str) -> etree._Element:
    element = etree.Element("{urn:hl7-org:v3}reference", value=value)
    return element


def _vitals_section(body: etree._Element, vitals: VitalSigns, when: dt.datetime) -> None:
    section, text = _section(
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
    _table(
        text,
        ("Constante", "Mesure"),
        [
            (f"vital-{name}", VITAL_SIGNS[name][1], f"{value} {VITAL_SIGNS[name][2]}" if value is not None
             else "non mesurée")
            for name, value in measured
        ],
    )
    organizer = e(e(section, "entry"), "organizer", classCode="CLUSTER", moodCode="EVN")
    for template in (
        "2.16.840.1.113883.10.20.1.32",
        "2.16.840.1.113883.10.20.1.35",
        "1.3.6.1.4.1.19376.1.5.3.1.4.13.1",
        "1.2.250.1.213.1.1.3.49",
    ):
        e(organizer, "templateId", root=template)
    e(organizer, "id", root=_uuid())
    e(
        organizer,
        "code",
        code="85353-1",
        displayName="Signes vitaux",
        codeSystem=LOINC,
        codeSystemName="LOINC",
    )
    e(organizer, "statusCode", code="completed")
    e(organizer, "effectiveTime", value=ts(when))
    for name, value in measured:
        loinc, label, unit = VITAL_SIGNS[name]
        observation = e(
            e(organizer, "component", typeCode="COMP"), "observation", classCode="OBS", moodCode="EVN"
        )
        for template in (
            "2.16.840.1.113883.10.20.1.31",
            "1.3.6.1.4.1.19376.1.5.3.1.4.13",
            "1.3.6.1.4.1.19376.1.5.3.1.4.13.2",
            "1.2.250.1.213.1.1.3.50",
        ):
            e(observation, "templateId", root=template)
        e(observation, "id", root=_uuid())
        e(observation, "code", code=loinc, displayName=label, codeSystem=LOINC, codeSystemName="LOINC")
        e(e(observation, "text"), "reference", value=f"#vital-{name}")
        e(observation, "statusCode", code="completed")
        e(observation, "effectiveTime", value=ts(when))
        if value is None:
            _value(observation, "PQ", nullFlavor="NI")
        else:
            _value(observation, "PQ", value=str(value), unit=unit)


def _observations_section(body: etree._Element, transfer: Transfer, when: dt.datetime) -> None:
    section, text = _section(
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
    _table(text, ("Observation", "Résultat"), rows)
    procedure = e(e(section, "entry"), "procedure", classCode="PROC", moodCode="EVN")
    for template in (
        "2.16.840.1.113883.10.20.1.29",
        "1.3.6.1.4.1.19376.1.5.3.1.4.19",
        "1.2.250.1.213.1.1.3.62",
    ):
        e(procedure, "templateId", root=template)
    e(procedure, "id", root=_uuid())
    e(procedure, "code", nullFlavor="NA")
    e(e(procedure, "text"), "reference", value="#etat-conscience")
    e(procedure, "statusCode", code="cancelled")
    e(procedure, "effectiveTime", value=ts(when))
    observation = _observation(
        section, code=("DLU_002", "Conscient et éveillé", TA_ASIP), reference="etat-conscience", when=when
    )
    _value(observation, "BL", value="true" if transfer.conscious else "false")
    if transfer.pain:
        observation = _observation(
            section, code=("R52.9", "Douleur, sans précision", CIM10), reference="douleur", when=when
        )
        _value(observation, "BL", value="true")


def _treatment_section(body: etree._Element, last: dt.datetime | None) -> None:
    section, text = _section(
        body,
        ("2.16.840.1.113883.10.20.1.8", "1.3.6.1.4.1.19376.1.5.3.1.3.19", "1.2.250.1.213.1.1.2.143"),
        ("10160-0", "Traitements"),
        "Date et heure de la dernière prise du traitement habituel",
        with_id=False,
    )
    e(e(text, "paragraph"), "content", _moment(last) if last else "Non renseignée", ID="derniere-prise")
    administration = e(e(section, "entry"), "substanceAdministration", classCode="SBADM", moodCode="EVN")
    for template in (
        "2.16.840.1.113883.10.20.1.24",
        "1.3.6.1.4.1.19376.1.5.3.1.4.7",
        "1.2.250.1.213.1.1.3.42",
        "1.3.6.1.4.1.19376.1.5.3.1.4.7.1",
    ):
        e(administration, "templateId", root=template)
    e(administration, "id", root=_uuid())
    e(administration, "code", nullFlavor="NA")
    e(e(administration, "text"), "reference", value="#derniere-prise")
    e(administration, "statusCode", code="completed")
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
    for template in (
        "2.16.840.1.113883.10.20.1.53",
        "1.3.6.1.4.1.19376.1.5.3.1.4.7.2",
        "1.2.250.1.213.1.1.3.43",
    ):
        e(product, "templateId", root=template)
    material = e(product, "manufacturedMaterial")
    e(material, "code", nullFlavor="UNK")
    e(material, "name", nullFlavor="UNK")


def _meal_section(body: etree._Element, last: dt.datetime | None) -> None:
    section, text = _section(
        body,
        ("1.3.6.1.4.1.19376.1.7.3.1.1.13.5", "1.2.250.1.213.1.1.2.162"),
        ("47420-5", "Évaluation du statut fonctionnel"),
        "Date et heure du dernier repas",
        with_id=False,
    )
    e(e(text, "paragraph"), "content", _moment(last) if last else "Non renseignée", ID="dernier-repas")
    observation = _observation(
        section,
        code=("GEN-244", "Date et heure du dernier repas", TA_ASIP),
        reference="dernier-repas",
        when=last or dt.datetime.now(dt.UTC),
    )
    if last is None:
        observation.find("{urn:hl7-org:v3}effectiveTime").attrib.clear()  # type: ignore[union-attr]
        observation.find("{urn:hl7-org:v3}effectiveTime").set("nullFlavor", "UNK")  # type: ignore[union-attr]
    _value(observation, "REAL", nullFlavor="NA")


def _devices_section(body: etree._Element, devices: tuple[str, ...], when: dt.datetime) -> None:
    section, text = _section(
        body,
        ("1.2.250.1.213.1.1.2.53",),
        ("46264-8", "Dispositifs médicaux"),
        "Prothèses et objets personnels",
    )
    known = [code for code in devices if code in DEVICES]
    _table(
        text,
        ("Prothèse ou objet", "Présent"),
        [(f"dispositif-{n}", DEVICES[code][0].capitalize(), "oui") for n, code in enumerate(known)]
        or [("dispositif-aucun", "Prothèses et objets personnels", "aucun")],
    )
    if not known:  # the volet requires an entry: none is said as such
        observation = _observation(
            section,
            code=("GEN-092.02.01", "Autre prothèse et objet personnel", TA_ASIP),
            reference="dispositif-aucun",
            when=when,
            templates=(*OBSERVATION, "1.2.250.1.213.1.1.3.12"),
        )
        e(_value(observation, "CD"), "originalText").append(_reference("#dispositif-aucun"))
    for n, code in enumerate(known):
        label, system = DEVICES[code]
        observation = _observation(
            section,
            code=(code, label, system),
            reference=f"dispositif-{n}",
            when=when,
            templates=(*OBSERVATION, "1.2.250.1.213.1.1.3.12"),
        )
        _value(observation, "BL", value="true")
        e(observation, "targetSiteCode", nullFlavor="NASK")
