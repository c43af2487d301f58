"""METADATA.XML of an IHE_XDM.zip (ebRIM 3.0 SubmitObjectsRequest), mapped from the CDA
header as the ANS mapping for MSSanté says: classCode (TRE_A03 via the type), typeCode,
formatCode, healthcareFacilityTypeCode (J02), practiceSettingCode (J04), legalAuthenticator,
serviceStartTime, author with authorInstitution (XON, the structure's id) and
authorSpecialty (J01), urn:uuid entry ids, and the HasMember association's
``SubmissionSetStatus=Original``. Values travel in HL7 v2 datatypes (XCN, XON, CX): each
component is escaped (``^ & ~ \\ |``) so that a name cannot break a field."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from lxml import etree

from ..cda import IDNAT_OID
from ..valuesets import Concept, document_class
from ..xdm import AUTHOR, CLASS_CODE, CONFIDENTIALITY, FORMAT_CODE, PATIENT_ID, RIM, TYPE_CODE
from .header import STRUCTURE_OID, facility, organisation_name, setting, specialty, structure_id, type_concept
from .model import DocumentRequest, PatientTraits

LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
PDF_FORMAT = Concept(
    "urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "Document à corps non structuré en PDF"
)
DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
SUBMISSION_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SUBMISSION_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SUBMISSION_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SUBMISSION_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
DOCUMENT_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
FACILITY_TYPE = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
PRACTICE_SETTING = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def hl7_escape(value: str) -> str:
    """One HL7 v2 component: the escape character first, then each delimiter."""
    for raw, escaped in ESCAPES:
        value = value.replace(raw, escaped)
    return value


def _utc(moment: dt.datetime) -> str:
    return (moment.astimezone(dt.UTC) if moment.tzinfo else moment).strftime("%Y%m%d%H%M%S")


def _slot(parent: etree._Element, name: str, *values: str) -> None:
    slot = etree.SubElement(parent, f"{RIM}Slot", name=name)
    value_list = etree.SubElement(slot, f"{RIM}ValueList")
    for value in values:
        etree.SubElement(value_list, f"{RIM}Value").text = value


def _named(parent: etree._Element, tag: str, value: str) -> None:
    etree.SubElement(etree.SubElement(parent, f"{RIM}{tag}"), f"{RIM}LocalizedString", value=value)


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _classification(parent: etree._Element, scheme: str, concept: Concept) -> None:
    node = etree.SubElement(
        parent,
        f"{RIM}Classification",
        classificationScheme=scheme,
        classifiedObject=parent.get("id") or "",
        nodeRepresentation=concept.code,
        id=_urn(),
    )
    _slot(node, "codingScheme", concept.system)
    _named(node, "Name", concept.label)


def _external(parent: etree._Element, scheme: str, value: str, label: str) -> None:
    node = etree.SubElement(
        parent,
        f"{RIM}ExternalIdentifier",
        identificationScheme=scheme,
        value=value,
        registryObject=parent.get("id") or "",
        id=_urn(),
    )
    _named(node, "Name", label)


def patient_id(patient: PatientTraits) -> str:
    return f"{hl7_escape(patient.ins)}^^^&{patient.ins_oid}&ISO^NH"


def xcn(*, idnat: str, family: str, given: str, prefix: str = "") -> str:
    """A person (XCN): id^FAMILY^Given^^^prefix^^^&OID&ISO^D^^^IDNPS."""
    return (
        f"{hl7_escape(idnat)}^{hl7_escape(family)}^{hl7_escape(given)}"
        f"^^^{hl7_escape(prefix)}^^^&{IDNAT_OID}&ISO^D^^^IDNPS"
    )


def xon(*, name: str, structure: str) -> str:
    """An organisation (XON): name^^^^^&OID&ISO^IDNST^^^id (the structure's id, as in the CDA)."""
    return f"{hl7_escape(name)}^^^^^&{STRUCTURE_OID}&ISO^IDNST^^^{hl7_escape(structure)}"


def patient_traits(patient: PatientTraits) -> list[str]:
    given = hl7_escape(" ".join(patient.given_names))
    values = [
        f"PID-3|{patient_id(patient)}",
        f"PID-5|{hl7_escape(patient.birth_name)}^{given}^^^^^L",
        f"PID-7|{patient.birth_date:%Y%m%d}",
        f"PID-8|{patient.sex}",
    ]
    if patient.birth_place:
        values.append(f"PID-11|^^^^^^BDL^^{hl7_escape(patient.birth_place)}")
    return values


@dataclass(frozen=True)
class XdmFacts:
    """What METADATA.XML says of one CDA, in the datatypes it travels in: taken from the
    request we produce a document from (``facts_from_request``), or read from the header of
    a CDA someone else built (``apps.documents.produce.given``)."""

    title: str
    created: dt.datetime
    service_start: dt.datetime
    service_stop: dt.datetime
    patient_id: str  # CX
    patient_traits: tuple[str, ...]  # "PID-n|value"
    author_person: str  # XCN
    author_institution: str  # XON
    author_specialty: Concept
    class_code: Concept
    type_code: Concept
    format_code: Concept
    facility: Concept
    setting: Concept
    unique_id: str  # the CDA's id, "root^extension"
    source_oid: str  # the submitting installation
    confidentiality: Concept = Concept("N", "2.16.840.1.113883.5.25", "Normal")


def facts_from_request(request: DocumentRequest, *, document_id: str) -> XdmFacts:
    act = request.act_date or request.date
    return XdmFacts(title=request.title, created=request.date, service_start=act, service_stop=act,
                    patient_id=patient_id(request.patient),
                    patient_traits=tuple(patient_traits(request.patient)),
                    author_person=xcn(idnat=request.author.idnat, family=request.author.family_name,
                                      given=request.author.given_name, prefix=request.author.prefix),
                    author_institution=xon(name=organisation_name(request), structure=structure_id(request)),
                    author_specialty=specialty(request.author), class_code=document_class(request.type_code),
                    type_code=type_concept(request.type_code), format_code=PDF_FORMAT,
                    facility=facility(request), setting=setting(request),
                    unique_id=f"{request.source_oid}^{document_id}", source_oid=request.source_oid)


def metadata_build(*, request: DocumentRequest, cda: bytes, uri: str, document_id: str) -> bytes:
    """METADATA.XML of a document we produce from ``request``."""
    return metadata_xml(facts=facts_from_request(request, document_id=document_id), cda=cda, uri=uri)


def metadata_xml(*, facts: XdmFacts, cda: bytes, uri: str) -> bytes:
    """METADATA.XML: the SubmissionSet, the DocumentEntry of ``cda`` and their association."""
    root = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap={"lcm": LCM, "rim": RIM[1:-1]})
    objects = etree.SubElement(root, f"{RIM}RegistryObjectList")
    entry_id, set_id = _urn(), _urn()
    entry = etree.SubElement(
        objects,
        f"{RIM}ExtrinsicObject",
        id=entry_id,
        mimeType="text/xml",
        objectType=DOCUMENT_ENTRY,
        status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
    )
    _slot(entry, "creationTime", _utc(facts.created))
    _slot(entry, "hash", hashlib.sha1(cda, usedforsecurity=False).hexdigest())
    _slot(entry, "languageCode", "fr-FR")
    _slot(entry, "legalAuthenticator", facts.author_person)
    _slot(entry, "serviceStartTime", _utc(facts.service_start))
    _slot(entry, "serviceStopTime", _utc(facts.service_stop))
    _slot(entry, "size", str(len(cda)))
    _slot(entry, "sourcePatientId", facts.patient_id)
    _slot(entry, "sourcePatientInfo", *facts.patient_traits)
    _slot(entry, "URI", uri)
    _named(entry, "Name", facts.title)
    _author(entry, AUTHOR, facts)
    _classification(entry, CLASS_CODE, facts.class_code)
    _classification(entry, CONFIDENTIALITY, facts.confidentiality)
    _classification(entry, FORMAT_CODE, facts.format_code)
    _classification(entry, FACILITY_TYPE, facts.facility)
    _classification(entry, PRACTICE_SETTING, facts.setting)
    _classification(entry, TYPE_CODE, facts.type_code)
    _external(entry, PATIENT_ID, facts.patient_id, "XDSDocumentEntry.patientId")
    _external(entry, DOCUMENT_UNIQUE_ID, facts.unique_id, "XDSDocumentEntry.uniqueId")
    package = etree.SubElement(objects, f"{RIM}RegistryPackage", id=set_id)
    _slot(package, "submissionTime", _utc(dt.datetime.now(dt.UTC)))
    _named(package, "Name", facts.title)
    _author(package, SUBMISSION_AUTHOR, facts)
    _classification(package, CONTENT_TYPE, facts.type_code)
    etree.SubElement(
        objects, f"{RIM}Classification", classifiedObject=set_id, classificationNode=SUBMISSION_SET, id=_urn()
    )
    _external(package, SUBMISSION_PATIENT_ID, facts.patient_id, "XDSSubmissionSet.patientId")
    _external(
        package,
        SUBMISSION_UNIQUE_ID,
        f"{facts.source_oid}.{uuid.uuid4().int % 10**12}",
        "XDSSubmissionSet.uniqueId",
    )
    _external(package, SUBMISSION_SOURCE_ID, facts.source_oid, "XDSSubmissionSet.sourceId")
    association = etree.SubElement(
        objects,
        f"{RIM}Association",
        id=_urn(),
        associationType=HAS_MEMBER,
        sourceObject=set_id,
        targetObject=entry_id,
    )
    _slot(association, "SubmissionSetStatus", "Original")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _author(parent: etree._Element, scheme: str, facts: XdmFacts) -> None:
    author = etree.SubElement(
        parent,
        f"{RIM}Classification",
        classificationScheme=scheme,
        classifiedObject=parent.get("id") or "",
        nodeRepresentation="",
        id=_urn(),
    )
    _slot(author, "authorPerson", facts.author_person)
    _slot(author, "authorInstitution", facts.author_institution)
    concept = facts.author_specialty
    _slot(
        author, "authorSpecialty", f"{hl7_escape(concept.code)}^{hl7_escape(concept.label)}^{concept.system}"
    )
