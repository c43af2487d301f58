"""What the N3 documents we produce share (issue 26): sections with their templates, code and
title, a two-column narrative table whose first cells carry the IDs entries point at, the
FR-Simple-Observation entry, typed values, the transfer act (to the emergency department
and back) and the prostheses and personal belongings section (JDV_ProtheseObjetPersonnel).
Pure Python, built with lxml."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass

from lxml import etree

from ..valuesets import value_set
from .header import XSI, e, header_build, ts
from .model import DocumentRequest, Organisation, Professional

LOINC = "2.16.840.1.113883.6.1"
TA_ASIP = "1.2.250.1.213.1.1.4.322"
EMDN = "1.2.250.1.213.2.68"
CIM10 = "2.16.840.1.113883.6.3"
SNOMED = "2.16.840.1.113883.6.96"
OBSERVATION = ("1.3.6.1.4.1.19376.1.5.3.1.4.13", "1.2.250.1.213.1.1.3.48")
MEDICATION = (
    "2.16.840.1.113883.10.20.1.24",
    "1.3.6.1.4.1.19376.1.5.3.1.4.7",
    "1.2.250.1.213.1.1.3.42",
    "1.3.6.1.4.1.19376.1.5.3.1.4.7.1",
)  # FR-Traitement
PRODUCT = ("2.16.840.1.113883.10.20.1.53", "1.3.6.1.4.1.19376.1.5.3.1.4.7.2", "1.2.250.1.213.1.1.3.43")
DEVICES = {  # JDV_ProtheseObjetPersonnel: code → (label, code system)
    "Q021003": ("LUNETTES PRÊTES À PORTER (OU LUNETTES MONTÉES)", EMDN),
    "P0102": ("PROTHÈSES DENTAIRES", EMDN),
    "Y2145": ("DISPOSITIFS ACCOUSTIQUES D'AIDE À L'AUDITION", EMDN),
}


# A coded concept: code, label, code system, the system's name (None: not written).
Code = tuple[str, str, str, str | None]


def new_id() -> str:
    return str(uuid.uuid4()).upper()


def document_start(
    request: DocumentRequest,
    *,
    volet: str,
    service_event: tuple[str, str],
    document_id: str | None,
    act_start: dt.datetime | None = None,
    attending: Professional | None = None,
) -> tuple[etree._Element, etree._Element]:
    """An N3 document of a 2022.01 volet: its header (a new set id; the act a LOINC code) and
    its empty structured body, returned with the root."""
    root = header_build(
        request,
        document_id=document_id or uuid.uuid4().hex,
        set_id=uuid.uuid4().hex,
        templates=((volet, "2022.01"),),
        service_event=(*service_event, LOINC),
        act_start=act_start,
        attending=attending,
    )
    return root, e(e(root, "component"), "structuredBody")


def comments_section_add(body: etree._Element, comments: str) -> None:
    """The free comments (FR-Commentaire-non-code)."""
    _, text = section_add(
        body,
        ("2.16.840.1.113883.10.12.201", "1.3.6.1.4.1.19376.1.4.1.2.16", "1.2.250.1.213.1.1.2.73"),
        ("55112-7", "Commentaire"),
        "Commentaires",
        with_id=False,
    )
    e(text, "paragraph", comments)


def loinc(code: str, label: str) -> Code:
    return (code, label, LOINC, "LOINC")


def entry_add(
    parent: etree._Element,
    tag: str,
    class_code: str,
    *,
    templates: tuple[str, ...],
    code: Code | str | None,
    reference: str | None = None,
    status: str = "completed",
    mood_code: str = "EVN",
    **attributes: str,
) -> etree._Element:
    """A clinical statement as every N3 entry begins it, in CDA's order: its templates, a new
    id, its code (a ``Code``; a string: that nullFlavor; None: no code), the narrative it
    points at (a content ID), its status. The caller adds what follows (times, values...)."""
    element = e(parent, tag, classCode=class_code, moodCode=mood_code, **attributes)
    for template in templates:
        e(element, "templateId", root=template)
    e(element, "id", root=new_id())
    if isinstance(code, str):
        e(element, "code", nullFlavor=code)
    elif code is not None:
        e(
            element,
            "code",
            code=code[0],
            displayName=code[1],
            codeSystem=code[2],
            codeSystemName=code[3] or "",
        )
    if reference:
        e(e(element, "text"), "reference", value=f"#{reference}")
    e(element, "statusCode", code=status)
    return element


def section_add(
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
        e(section, "id", root=new_id())
    e(section, "code", code=code[0], displayName=code[1], codeSystem=LOINC, codeSystemName="LOINC")
    e(section, "title", title)
    return section, e(section, "text")


def table_add(text: etree._Element, head: tuple[str, str], rows: list[tuple[str, str, str]]) -> None:
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


def observation_add(
    parent: etree._Element,
    *,
    code: tuple[str, str, str],
    reference: str,
    when: dt.datetime,
    templates: tuple[str, ...] = OBSERVATION,
) -> etree._Element:
    observation = entry_add(
        e(parent, "entry"), "observation", "OBS", templates=templates, code=(*code, None), reference=reference
    )
    e(observation, "effectiveTime", value=ts(when))
    return observation


def value_add(parent: etree._Element, kind: str, **attributes: str) -> etree._Element:
    return e(parent, "value", **{f"{{{XSI}}}type": kind}, **attributes)


def moment_text(moment: dt.datetime) -> str:
    return moment.strftime("le %d/%m/%Y à %Hh%M")


def reference_element(value: str) -> etree._Element:
    return etree.Element("{urn:hl7-org:v3}reference", value=value)


def devices_section_add(body: etree._Element, devices: tuple[str, ...], when: dt.datetime) -> None:
    section, text = section_add(
        body,
        ("1.2.250.1.213.1.1.2.53",),
        ("46264-8", "Dispositifs médicaux"),
        "Prothèses et objets personnels",
    )
    known = [code for code in devices if code in DEVICES]
    table_add(
        text,
        ("Prothèse ou objet", "Présent"),
        [(f"dispositif-{n}", DEVICES[code][0].capitalize(), "oui") for n, code in enumerate(known)]
        or [("dispositif-aucun", "Prothèses et objets personnels", "aucun")],
    )
    if not known:  # the volet requires an entry: none is said as such
        observation = observation_add(
            section,
            code=("GEN-092.02.01", "Autre prothèse et objet personnel", TA_ASIP),
            reference="dispositif-aucun",
            when=when,
            templates=(*OBSERVATION, "1.2.250.1.213.1.1.3.12"),
        )
        e(value_add(observation, "CD"), "originalText").append(reference_element("#dispositif-aucun"))
    for n, code in enumerate(known):
        label, system = DEVICES[code]
        observation = observation_add(
            section,
            code=(code, label, system),
            reference=f"dispositif-{n}",
            when=when,
            templates=(*OBSERVATION, "1.2.250.1.213.1.1.3.12"),
        )
        value_add(observation, "BL", value="true")
        e(observation, "targetSiteCode", nullFlavor="NASK")


def transfer_section_add(
    body: etree._Element,
    *,
    title: str,
    head: str,
    reason: str,
    reason_code: tuple[str, str],
    departure: dt.datetime,
    destination: Organisation,
) -> None:
    """The FR-Resultats-evenements section of a transfer (to the emergency department, or back
    to the EHPAD): its reason and the planned transfer act to ``destination``."""
    section, text = section_add(
        body,
        ("1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9", "1.3.6.1.4.1.19376.1.7.3.1.1.13.7", "1.2.250.1.213.1.1.2.163"),
        ("42545-4", "Evènements observés"),
        title,
    )
    table_add(
        text,
        (head, "Précision"),
        [
            ("transfert-motif", "Motif", reason),
            ("", "Date", moment_text(departure)),
            ("transfert-ES", "Etablissement", destination.name),
        ],
    )
    observation = observation_add(
        section,
        code=(*reason_code, LOINC),
        reference="transfert-motif",
        when=departure,
    )
    e(value_add(observation, "CD"), "originalText").append(reference_element("#transfert-motif"))
    # Sent as the resident leaves: the transfer is planned (INT, "normal"), not yet done.
    act = entry_add(
        e(section, "entry"),
        "act",
        "ACT",
        mood_code="INT",
        templates=("1.3.6.1.4.1.19376.1.5.3.1.1.25.1.4.1", "1.2.250.1.213.1.1.3.28"),
        code=loinc("80413-8", "Transfert du patient"),
        reference="transfert-ES",
        status="normal",
    )
    period = e(act, "effectiveTime")
    e(period, "low", value=ts(departure))
    participant = e(act, "participant", typeCode="DST")
    if destination.national_id:
        e(participant, "templateId", root="1.2.250.1.71.4.2.2", extension=destination.national_id)
    role = e(participant, "participantRole", classCode="SDLOC")
    e(role, "id", root=new_id())
    e(role, "code", code=destination.facility_type or "SA01", codeSystem="1.2.250.1.71.4.2.4")
    if destination.postcode or destination.city:
        addr = e(role, "addr")
        if destination.postcode:
            e(addr, "postalCode", destination.postcode)
        if destination.city:
            e(addr, "city", destination.city)
    e(e(role, "playingEntity", classCode="ENT"), "name", destination.name)


CIS = "1.2.250.1.213.2.3.1"


@dataclass(frozen=True)
class Medication:
    name: str
    start: dt.date
    end: dt.date | None = None
    dose: str = ""  # as the prescriber writes it ("1 comprimé matin et soir")
    cis: str = ""  # its CIS code (the French medicines database), when known


@dataclass(frozen=True)
class Joined:
    kind: str  # a code of the volet's checklist value set
    pdf: bytes


def medications_section_add(
    body: etree._Element,
    medications: tuple[Medication, ...],
    *,
    code: tuple[str, str],
    title: str,
    templates: tuple[str, ...],
) -> None:
    """A medications section (FR-Traitements…): the table, then one FR-Traitement entry per
    medicine, its CIS code when known."""
    section, text = section_add(body, templates, code, title, with_id=False)
    table = e(text, "table", border="0")
    head = e(e(table, "thead"), "tr")
    for cell in ("Date de début", "Date de fin", "Médicament", "Posologie"):
        e(head, "th", cell)
    rows = e(table, "tbody")
    for n, medication in enumerate(medications):
        row = e(rows, "tr")
        e(row, "td", medication.start.strftime("%d/%m/%Y"))
        e(row, "td", medication.end.strftime("%d/%m/%Y") if medication.end else "")
        e(e(row, "td"), "content", medication.name, ID=f"traitement-{n}")
        e(row, "td", medication.dose)
        administration = entry_add(
            e(section, "entry"),
            "substanceAdministration",
            "SBADM",
            mood_code="INT",
            templates=MEDICATION,
            code=None,
            reference=f"traitement-{n}",
        )
        period = e(administration, "effectiveTime", **{f"{{{XSI}}}type": "IVL_TS"})
        e(period, "low", value=medication.start.strftime("%Y%m%d"))
        if medication.end:
            e(period, "high", value=medication.end.strftime("%Y%m%d"))
        else:
            e(period, "high", nullFlavor="NA")
        e(administration, "doseQuantity", nullFlavor="NA")
        product = e(e(administration, "consumable", typeCode="CSM"), "manufacturedProduct")
        for template in PRODUCT:
            e(product, "templateId", root=template)
        material = e(product, "manufacturedMaterial", classCode="MMAT")
        code = (
            e(
                material,
                "code",
                code=medication.cis,
                displayName=medication.name,
                codeSystem=CIS,
                codeSystemName="CIS",
            )
            if medication.cis
            else e(material, "code", nullFlavor="UNK")
        )
        e(code, "originalText").append(reference_element(f"#traitement-{n}"))
        e(material, "name", medication.name)


def joined_section_add(
    body: etree._Element, joined: tuple[Joined, ...], when: dt.datetime, *, title: str, kinds: str
) -> None:
    """The documents joined (FR-Documents-ajoutes): each with its type from the volet's
    checklist value set (``kinds``: a ``valuesets`` name) and its PDF in the document."""
    section, text = section_add(body, ("1.2.250.1.213.1.1.2.37",), ("55107-7", "Documents ajoutés"), title)
    for n, item in enumerate(joined):
        label = value_set(kinds)[item.kind].label
        paragraph = e(text, "paragraph")
        e(paragraph, "content", label, ID=f"annexe-{n}")
        e(paragraph, "renderMultiMedia", referencedObject=f"annexe-pdf-{n}")
        organizer = entry_add(
            e(section, "entry"),
            "organizer",
            "CLUSTER",
            templates=("1.2.250.1.213.1.1.3.18",),
            code=loinc("55107-7", "Document attaché"),
        )
        observation = entry_add(
            e(organizer, "component"),
            "observation",
            "OBS",
            templates=(*OBSERVATION, "1.2.250.1.213.1.1.3.48.18"),
            code=loinc("69764-9", "Type de document"),
            reference=f"annexe-{n}",
        )
        e(observation, "effectiveTime", value=ts(when))
        value_add(
            observation, "CD", code=item.kind, displayName=label, codeSystem=TA_ASIP, codeSystemName="TA_ASIP"
        )
        media = e(
            e(organizer, "component"),
            "observationMedia",
            classCode="OBS",
            moodCode="EVN",
            ID=f"annexe-pdf-{n}",
        )
        e(
            media,
            "value",
            base64.b64encode(item.pdf).decode("ascii"),
            mediaType="application/pdf",
            representation="B64",
        )
