"""The CDA R2 header the CI-SIS "structuration minimale" asks of every document, N1 or N3:
the patient with every INS identity trait, the author with their J01 specialty and
structure, the custodian, the legal authenticator, the act (serviceEvent with its performer
and date) and the encounter (its location's J02 facility type). What the agency's
schematrons check is what is written here; ``apps.documents.validation`` runs them on what
we produce (tests and ``manage.py cda_validate``).

lxml builds the XML: every value is escaped; control characters are refused before
(``model.request_check``).
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from ..cda import IDNAT_OID, V3
from ..valuesets import Concept, author_specialty, facility_type, practice_setting, value_set
from .model import DocumentRequest, Organisation, Professional, practice_id

XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOINC = "2.16.840.1.113883.6.1"
STRUCTURE_OID = "1.2.250.1.71.4.2.2"
HL7_FRANCE = "2.16.840.1.113883.2.8.2.1"
CI_SIS = "1.2.250.1.213.1.1.1.1"
XDS_SD = "1.3.6.1.4.1.19376.1.2.20"  # an N1: IHE XDS-SD, in place of a volet's templateId
SEX_LABELS = {"F": "Féminin", "M": "Masculin", "U": "Inconnu"}
CIVILITIES = ("M", "MME")  # JDV_J245


def e(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    """A child in the HL7 v3 namespace; attributes given empty are left out."""
    given = {name.rstrip("_"): value for name, value in attributes.items() if value}
    element = etree.SubElement(parent, f"{{{V3}}}{tag}", given)
    if text is not None:
        element.text = text
    return element


def ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S") + (moment.strftime("%z") if moment.tzinfo else "")


def coded(parent: etree._Element, tag: str, concept: Concept) -> etree._Element:
    return e(parent, tag, code=concept.code, displayName=concept.label, codeSystem=concept.system)


def _person_name(parent: etree._Element, person: Professional) -> None:
    name = e(parent, "name")
    if person.prefix.upper() in CIVILITIES:
        e(name, "prefix", person.prefix.upper())
    e(name, "given", person.given_name)
    e(name, "family", person.family_name)
    if person.suffix:
        e(name, "suffix", person.suffix)


def structure_id(request: DocumentRequest) -> str:
    """The author's structure id: FINESS or SIRET form, else their practice's RPPS form."""
    national = request.organisation.national_id if request.organisation else ""
    return national or practice_id(request.author)


def _organisation_id(parent: etree._Element, request: DocumentRequest) -> None:
    e(parent, "id", root=STRUCTURE_OID, extension=structure_id(request))


def _address(parent: etree._Element, organisation: Organisation | None) -> None:
    if organisation and (organisation.postcode or organisation.city):
        addr = e(parent, "addr")
        if organisation.postcode:
            e(addr, "postalCode", organisation.postcode)
        if organisation.city:
            e(addr, "city", organisation.city)


def organisation_name(request: DocumentRequest) -> str:
    if request.organisation and request.organisation.name:
        return request.organisation.name
    return f"Cabinet de {request.author.given_name} {request.author.family_name}".strip()


def facility(request: DocumentRequest) -> Concept:
    return facility_type(request.organisation.facility_type if request.organisation else "")


def setting(request: DocumentRequest) -> Concept:
    chosen = request.organisation.practice_setting if request.organisation else ""
    return practice_setting(facility=facility(request).code, chosen=chosen)


def specialty(author: Professional) -> Concept:
    return author_specialty(
        profession_code=author.profession_code,
        profession_label=author.profession_label,
        expertise_code=author.expertise_code,
    )


def type_concept(type_code: str) -> Concept:
    return value_set("J07")[type_code]


def header_build(
    request: DocumentRequest,
    *,
    document_id: str,
    set_id: str,
    templates: tuple[str | tuple[str, str], ...],
    service_event: tuple[str, str, str] | None = None,
    act_start: dt.datetime | None = None,
    attending: Professional | None = None,
) -> etree._Element:
    """The ClinicalDocument with its header, before its body (``component``)."""
    root = etree.Element(f"{{{V3}}}ClinicalDocument", nsmap={None: V3, "xsi": XSI})
    e(root, "realmCode", code="FR")
    e(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    for template in (HL7_FRANCE, CI_SIS, *templates):  # a volet's: (root, its version)
        root_oid, version = template if isinstance(template, tuple) else (template, "")
        e(root, "templateId", root=root_oid, extension=version)
    e(root, "id", root=request.source_oid, extension=document_id)
    kind = type_concept(request.type_code)
    e(root, "code", code=kind.code, displayName=kind.label, codeSystem=kind.system, codeSystemName="LOINC")
    e(root, "title", request.title)
    e(root, "effectiveTime", value=ts(request.date))
    e(root, "confidentialityCode", code="N", displayName="Normal", codeSystem="2.16.840.1.113883.5.25")
    e(root, "languageCode", code="fr-FR")
    e(root, "setId", root=request.source_oid, extension=set_id)
    e(root, "versionNumber", value="1")
    _record_target(root, request)
    _author(root, request)
    _custodian(root, request)
    _legal_authenticator(root, request)
    if attending is not None:
        _attending(root, attending, request.date)
    _service_event(root, request, code=service_event, start=act_start)
    _encounter(root, request)
    return root


def _record_target(root: etree._Element, request: DocumentRequest) -> None:
    patient = request.patient
    role = e(e(root, "recordTarget"), "patientRole")
    e(role, "id", root=patient.ins_oid, extension=patient.ins)
    if patient.file_number:
        e(role, "id", root=f"{request.source_oid}.2", extension=patient.file_number)
    person = e(role, "patient", classCode="PSN")
    name = e(person, "name")
    e(name, "family", patient.birth_name, qualifier="BR")
    e(name, "given", " ".join(patient.given_names))  # every birth given name, in order
    e(name, "given", patient.given_names[0], qualifier="BR")  # the first one
    if patient.used_name:
        e(name, "family", patient.used_name, qualifier="CL")
    if patient.used_given_name:
        e(name, "given", patient.used_given_name, qualifier="CL")
    e(
        person,
        "administrativeGenderCode",
        code=patient.sex,
        displayName=SEX_LABELS[patient.sex],
        codeSystem="2.16.840.1.113883.5.1",
    )
    e(person, "birthTime", value=patient.birth_date.strftime("%Y%m%d"))
    e(e(e(e(person, "birthplace"), "place"), "addr"), "county", patient.birth_place)


def _author(root: etree._Element, request: DocumentRequest) -> None:
    author = e(root, "author")
    e(author, "time", value=ts(request.date))
    assigned = e(author, "assignedAuthor")
    e(assigned, "id", root=IDNAT_OID, extension=request.author.idnat)
    coded(assigned, "code", specialty(request.author))
    _person_name(e(assigned, "assignedPerson"), request.author)
    organisation = e(assigned, "representedOrganization")
    _organisation_id(organisation, request)
    e(organisation, "name", organisation_name(request))
    _address(organisation, request.organisation)


def _custodian(root: etree._Element, request: DocumentRequest) -> None:
    custodian = e(e(e(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization")
    _organisation_id(custodian, request)
    e(custodian, "name", organisation_name(request))
    _address(custodian, request.organisation)


def _legal_authenticator(root: etree._Element, request: DocumentRequest) -> None:
    legal = e(root, "legalAuthenticator")
    e(legal, "time", value=ts(request.date))
    e(legal, "signatureCode", code="S")
    entity = e(legal, "assignedEntity")
    e(entity, "id", root=IDNAT_OID, extension=request.author.idnat)
    _person_name(e(entity, "assignedPerson"), request.author)


def _attending(root: etree._Element, physician: Professional, since: dt.datetime) -> None:
    """The patient's attending physician (médecin traitant), as the DLU names them."""
    participant = e(root, "participant", typeCode="INF")
    e(
        participant,
        "functionCode",
        code="PCP",
        codeSystem="2.16.840.1.113883.5.88",
        displayName="Médecin Traitant",
    )
    e(e(participant, "time", **{f"{{{XSI}}}type": "IVL_TS"}), "low", value=ts(since))
    entity = e(participant, "associatedEntity", classCode="PROV")
    e(entity, "id", root=IDNAT_OID, extension=physician.idnat)
    _person_name(e(entity, "associatedPerson"), physician)


def _service_event(
    root: etree._Element,
    request: DocumentRequest,
    *,
    code: tuple[str, str, str] | None,
    start: dt.datetime | None,
) -> None:
    event = e(e(root, "documentationOf"), "serviceEvent")
    if code is not None:  # a volet names its act (the FLUDT: 28651-8, the transfer)
        e(event, "code", code=code[0], displayName=code[1], codeSystem=code[2])
    act = start or request.act_date or request.date
    e(e(event, "effectiveTime"), "low", value=ts(act))
    performer = e(event, "performer", typeCode="PRF")
    entity = e(performer, "assignedEntity")
    e(entity, "id", root=IDNAT_OID, extension=request.author.idnat)
    _person_name(e(entity, "assignedPerson"), request.author)
    organisation = e(entity, "representedOrganization")
    _organisation_id(organisation, request)
    e(organisation, "name", organisation_name(request))
    _address(organisation, request.organisation)
    chosen = setting(request)
    e(
        organisation,
        "standardIndustryClassCode",
        code=chosen.code,
        displayName=chosen.label,
        codeSystem=chosen.system,
    )


def _encounter(root: etree._Element, request: DocumentRequest) -> None:
    encounter = e(e(root, "componentOf"), "encompassingEncounter")
    e(e(encounter, "effectiveTime"), "low", value=ts(request.act_date or request.date))
    place = e(e(encounter, "location"), "healthCareFacility")
    _organisation_id(place, request)
    coded(place, "code", facility(request))
