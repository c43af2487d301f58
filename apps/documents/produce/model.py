"""What a health document is made from: the patient's INS identity traits, the author, the
organisation, the act. Frozen dataclasses; the site fills them from its models, the
examples command from fixed demo values. Checked here, before any XML is built, so that a
value a CDA or an HL7 v2 field cannot carry is refused with a reason, never a crash."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mss import ins

from ..errors import DocumentUnreadable

INS_OIDS_ALL = tuple(ins.OIDS)


class DocumentRefusedError(DocumentUnreadable):
    """A value we were asked to put in a document cannot be carried (reason code)."""


@dataclass(frozen=True)
class PatientTraits:
    """The INS and its identity traits, as the INS referential has them."""

    ins: str  # 15 characters: the NIR or NIA with its key
    ins_oid: str  # one of ``mss.ins.OIDS``: NIR, NIA, or a test or demonstration NIR
    birth_name: str
    given_names: tuple[str, ...]  # birth given names, in the order of the birth certificate
    birth_date: dt.date
    sex: str  # M, F, U
    birth_place: str = ""  # the COG code of the commune (or 99xxx: the country) of birth
    used_name: str = ""
    used_given_name: str = ""
    file_number: str = ""  # the structure's file number for the patient (IPP), if any


@dataclass(frozen=True)
class Professional:
    idnat: str
    given_name: str
    family_name: str
    profession_code: str  # PSC codeProfession (TRE_G15, TRE_R94…)
    profession_label: str
    expertise_code: str = ""  # PSC savoir-faire (SM54…)
    prefix: str = ""  # civility (JDV_J245: M, MME); anything else is left out
    suffix: str = ""  # title of practice (DR, PR…), as PSC's civilité d'exercice


@dataclass(frozen=True)
class Organisation:
    """The author's structure, custodian of the document."""

    name: str
    finess: str = ""
    siret: str = ""
    facility_type: str = ""  # JDV_J02 (the structure's TRE_R02 activity sector)
    practice_setting: str = ""  # JDV_J04, "" = deduced from the facility type
    postcode: str = ""
    city: str = ""

    @property
    def national_id(self) -> str:
        """The structure's id as the CI-SIS writes it under 1.2.250.1.71.4.2.2: ``1`` +
        FINESS or ``3`` + SIRET ("" without either)."""
        if self.finess:
            return f"1{self.finess}"
        return f"3{self.siret}" if self.siret else ""


def practice_id(author: Professional) -> str:
    """A structure id for a professional whose practice has no FINESS or SIRET we know:
    ``4`` + their RPPS (the RPPS-rang form of the national structure id; the schematron
    requires an id under 1.2.250.1.71.4.2.2)."""
    rpps = author.idnat[1:] if author.idnat.startswith("8") else author.idnat
    return f"4{rpps}"


@dataclass(frozen=True)
class DocumentRequest:
    pdf: bytes
    patient: PatientTraits
    author: Professional
    organisation: Organisation | None  # None: a professional without a known structure
    type_code: str  # JDV_J07 (LOINC)
    title: str
    date: dt.datetime  # the document's date
    source_oid: str  # the producing installation's root OID for ids
    act_date: dt.datetime | None = None  # the act documented (serviceEvent); the document's date if None
    file_number: str = ""  # the sender's own number for the document (the PDF file name's last part)
    extra: dict[str, str] = field(default_factory=dict)


def _printable(value: str) -> bool:
    return all(ch.isprintable() or ch in " " for ch in value)


def request_check(request: DocumentRequest) -> None:
    """``DocumentRefusedError`` with a reason code for a value no CDA may carry: control
    characters (lxml refuses them), an INS outside its OIDs, a birth place that is no COG
    code, a missing trait."""
    patient = request.patient
    texts = [
        request.title,
        patient.birth_name,
        *patient.given_names,
        patient.used_name,
        patient.used_given_name,
        request.author.given_name,
        request.author.family_name,
        request.organisation.name if request.organisation else "",
    ]
    if not all(_printable(text) for text in texts):
        raise DocumentRefusedError("control_character", "a field holds a control character")
    if patient.ins_oid not in INS_OIDS_ALL or len(patient.ins) != 15 or not patient.ins.isascii():
        raise DocumentRefusedError("ins", "the INS or its OID is not one we can carry")
    if not patient.birth_name.strip() or not patient.given_names or patient.sex not in ("M", "F", "U"):
        raise DocumentRefusedError("traits", "the INS identity traits are incomplete")
    place = patient.birth_place
    if not (len(place) == 5 and place.isascii() and place[:2].isalnum() and place[2:].isdigit()):
        raise DocumentRefusedError("birth_place", "the birth place is not a COG code")
