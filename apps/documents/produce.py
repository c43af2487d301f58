"""Producing an MSSanté health document from a PDF (issue 13): a CDA R2 N1 following the
CI-SIS "structuration minimale" header, packed with its metadata in an IHE_XDM.zip, and the
X-MSS headers and subject the message carries. Pure Python (lxml builds the XML, escaping
every value); what we produce reads back through ``cda``/``xdm`` unchanged.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass

from lxml import etree

from .cda import IDNAT_OID, INS_OIDS, INS_TEST_OIDS, V3
from .xdm import AUTHOR, CLASS_CODE, CONFIDENTIALITY, FORMAT_CODE, PATIENT_ID, RIM, TYPE_CODE

XSI = "http://www.w3.org/2001/XMLSchema-instance"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
LOINC = "2.16.840.1.113883.6.1"
PDF_FORMAT = "urn:ihe:iti:xds-sd:pdf:2008"
DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
SUBMISSION_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SUBMISSION_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SUBMISSION_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SUBMISSION_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
DOCUMENT_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
XDM_PREFIX = "XDM/1.0/DDM+"


@dataclass(frozen=True)
class PatientTraits:
    ins: str  # 15 characters: the NIR or NIA with its key
    ins_oid: str  # 1.2.250.1.213.1.4.8 (NIR), .9 (NIA), or a test OID
    birth_name: str
    given_names: tuple[str, ...]
    birth_date: dt.date
    sex: str  # M, F, U


@dataclass(frozen=True)
class Professional:
    idnat: str
    given_name: str
    family_name: str
    profession_code: str
    profession_label: str


@dataclass(frozen=True)
class DocumentRequest:
    pdf: bytes
    patient: PatientTraits
    author: Professional
    organisation: str  # the custodian: the author's structure
    organisation_id: str  # its FINESS or SIRET ("" when unknown)
    type_code: str  # LOINC (JDV_J07)
    type_label: str
    title: str
    date: dt.datetime
    source_oid: str  # the producing software's root OID for ids


def _e(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    given = {name.rstrip("_"): value for name, value in attributes.items() if value}
    element = etree.SubElement(parent, f"{{{V3}}}{tag}", given)
    if text is not None:
        element.text = text
    return element


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S") + (moment.strftime("%z") if moment.tzinfo else "")


def cda_n1_build(request: DocumentRequest, *, document_id: str | None = None) -> bytes:
    """The CDA R2 N1 of ``request``: header per the CI-SIS structuration minimale,
    ``nonXMLBody`` holding the PDF in base64."""
    root = etree.Element(f"{{{V3}}}ClinicalDocument", nsmap={None: V3, "xsi": XSI})
    _e(root, "realmCode", code="FR")
    _e(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    _e(root, "templateId", root="2.16.840.1.113883.2.8.2.1")
    _e(root, "templateId", root="1.2.250.1.213.1.1.1.1")
    _e(root, "id", root=request.source_oid, extension=document_id or uuid.uuid4().hex)
    _e(root, "code", code=request.type_code, displayName=request.type_label, codeSystem=LOINC)
    _e(root, "title", request.title)
    _e(root, "effectiveTime", value=_ts(request.date))
    _e(root, "confidentialityCode", code="N", displayName="Normal", codeSystem="2.16.840.1.113883.5.25")
    _e(root, "languageCode", code="fr-FR")
    _e(root, "setId", root=request.source_oid, extension=uuid.uuid4().hex)
    _e(root, "versionNumber", value="1")
    role = _e(_e(root, "recordTarget"), "patientRole")
    _e(role, "id", root=request.patient.ins_oid, extension=request.patient.ins)
    patient = _e(role, "patient")
    name = _e(patient, "name")
    for given in request.patient.given_names:
        _e(name, "given", given)
    _e(name, "family", request.patient.birth_name, qualifier="BR")
    _e(patient, "administrativeGenderCode", code=request.patient.sex, codeSystem="2.16.840.1.113883.5.1")
    _e(patient, "birthTime", value=request.patient.birth_date.strftime("%Y%m%d"))
    author = _e(root, "author")
    _e(author, "time", value=_ts(request.date))
    assigned = _e(author, "assignedAuthor")
    _e(assigned, "id", root=IDNAT_OID, extension=request.author.idnat)
    _e(assigned, "code", code=request.author.profession_code, displayName=request.author.profession_label,
       codeSystem="1.2.250.1.71.1.2.7")
    person_name = _e(_e(assigned, "assignedPerson"), "name")
    _e(person_name, "given", request.author.given_name)
    _e(person_name, "family", request.author.family_name)
    organisation = _e(assigned, "representedOrganization")
    _e(organisation, "name", request.organisation)
    custodian = _e(_e(_e(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization")
    if request.organisation_id:
        _e(custodian, "id", root="1.2.250.1.71.4.2.2", extension=request.organisation_id)
    _e(custodian, "name", request.organisation)
    legal = _e(root, "legalAuthenticator")
    _e(legal, "time", value=_ts(request.date))
    _e(legal, "signatureCode", code="S")
    entity = _e(legal, "assignedEntity")
    _e(entity, "id", root=IDNAT_OID, extension=request.author.idnat)
    legal_name = _e(_e(entity, "assignedPerson"), "name")
    _e(legal_name, "given", request.author.given_name)
    _e(legal_name, "family", request.author.family_name)
    body = _e(_e(root, "component"), "nonXMLBody")
    _e(body, "text", base64.b64encode(request.pdf).decode("ascii"), mediaType="application/pdf",
       representation="B64")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _slot(parent: etree._Element, name: str, *values: str) -> None:
    slot = etree.SubElement(parent, f"{RIM}Slot", name=name)
    value_list = etree.SubElement(slot, f"{RIM}ValueList")
    for value in values:
        etree.SubElement(value_list, f"{RIM}Value").text = value


def _named(parent: etree._Element, tag: str, value: str) -> None:
    etree.SubElement(etree.SubElement(parent, f"{RIM}{tag}"), f"{RIM}LocalizedString", value=value)


def _classification(parent: etree._Element, scheme: str, code: str, coding: str, label: str) -> None:
    node = etree.SubElement(parent, f"{RIM}Classification", classificationScheme=scheme,
                            classifiedObject=parent.get("id") or "", nodeRepresentation=code,
                            id=f"cl-{uuid.uuid4().hex[:12]}")
    _slot(node, "codingScheme", coding)
    _named(node, "Name", label)


def _external(parent: etree._Element, scheme: str, value: str, label: str) -> None:
    node = etree.SubElement(parent, f"{RIM}ExternalIdentifier", identificationScheme=scheme, value=value,
                            registryObject=parent.get("id") or "", id=f"ei-{uuid.uuid4().hex[:12]}")
    _named(node, "Name", label)


def patient_id(patient: PatientTraits) -> str:
    return f"{patient.ins}^^^&{patient.ins_oid}&ISO^NH"


def metadata_build(*, request: DocumentRequest, cda: bytes, uri: str, document_id: str) -> bytes:
    """METADATA.XML (ebRIM 3.0): the SubmissionSet and the DocumentEntry of ``cda``."""
    root = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap={"lcm": LCM, "rim": RIM[1:-1]})
    objects = etree.SubElement(root, f"{RIM}RegistryObjectList")
    author_person = (f"{request.author.idnat}^{request.author.family_name}^{request.author.given_name}"
                     f"^^^^^^&{IDNAT_OID}&ISO")
    entry = etree.SubElement(objects, f"{RIM}ExtrinsicObject", id="Document01", mimeType="text/xml",
                             objectType=DOCUMENT_ENTRY)
    _slot(entry, "URI", uri)
    _slot(entry, "hash", hashlib.sha1(cda, usedforsecurity=False).hexdigest())
    _slot(entry, "size", str(len(cda)))
    _slot(entry, "creationTime", request.date.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S"))
    _slot(entry, "languageCode", "fr-FR")
    _slot(entry, "sourcePatientId", patient_id(request.patient))
    _slot(entry, "sourcePatientInfo", f"PID-3|{patient_id(request.patient)}",
          f"PID-5|{request.patient.birth_name}^{' '.join(request.patient.given_names)}^^^^^L",
          f"PID-7|{request.patient.birth_date:%Y%m%d}", f"PID-8|{request.patient.sex}")
    _named(entry, "Name", request.title)
    author = etree.SubElement(entry, f"{RIM}Classification", classificationScheme=AUTHOR,
                              classifiedObject="Document01", nodeRepresentation="", id="cl-author")
    _slot(author, "authorPerson", author_person)
    _slot(author, "authorInstitution", request.organisation)
    _classification(entry, CLASS_CODE, request.type_code, LOINC, request.type_label)
    _classification(entry, CONFIDENTIALITY, "N", "2.16.840.1.113883.5.25", "Normal")
    _classification(entry, FORMAT_CODE, PDF_FORMAT, "1.3.6.1.4.1.19376.1.2.3",
                    "Document à corps non structuré en PDF")
    _classification(entry, TYPE_CODE, request.type_code, LOINC, request.type_label)
    _external(entry, PATIENT_ID, patient_id(request.patient), "XDSDocumentEntry.patientId")
    _external(entry, DOCUMENT_UNIQUE_ID, f"{request.source_oid}^{document_id}", "XDSDocumentEntry.uniqueId")
    package = etree.SubElement(objects, f"{RIM}RegistryPackage", id="SubmissionSet01")
    _slot(package, "submissionTime", dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S"))
    _named(package, "Name", request.title)
    package_author = etree.SubElement(package, f"{RIM}Classification", classificationScheme=SUBMISSION_AUTHOR,
                                      classifiedObject="SubmissionSet01", nodeRepresentation="",
                                      id="cl-ss-author")
    _slot(package_author, "authorPerson", author_person)
    _classification(package, CONTENT_TYPE, request.type_code, LOINC, request.type_label)
    etree.SubElement(objects, f"{RIM}Classification", classifiedObject="SubmissionSet01",
                     classificationNode=SUBMISSION_SET, id="cl-ss")
    _external(package, SUBMISSION_PATIENT_ID, patient_id(request.patient), "XDSSubmissionSet.patientId")
    _external(package, SUBMISSION_UNIQUE_ID, f"{request.source_oid}.{uuid.uuid4().int % 10**12}",
              "XDSSubmissionSet.uniqueId")
    _external(package, SUBMISSION_SOURCE_ID, request.source_oid, "XDSSubmissionSet.sourceId")
    etree.SubElement(objects, f"{RIM}Association", id="as01",
                     associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember",
                     sourceObject="SubmissionSet01", targetObject="Document01")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class ProducedDocument:
    cda: bytes
    xdm: bytes  # IHE_XDM.zip
    headers: dict[str, str]  # X-MSS-CODECDA, X-MSS-INS
    subject: str


def document_produce(request: DocumentRequest) -> ProducedDocument:
    """The CDA, its IHE_XDM.zip, the MSSanté headers and the subject convention."""
    document_id = uuid.uuid4().hex
    cda = cda_n1_build(request, document_id=document_id)
    readme = ("Archive IHE XDM produite par mssante-web.\r\n"
              f"Document : {request.title}\r\nDate : {request.date:%d/%m/%Y}\r\n").encode()
    index = (b"<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>IHE XDM</title></head>"
             b"<body><p><a href=\"IHE_XDM/SUBSET01/DOC0001.XML\">DOC0001.XML</a></p></body></html>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.TXT", readme)
        archive.writestr("INDEX.HTM", index)
        archive.writestr("IHE_XDM/SUBSET01/METADATA.XML",
                         metadata_build(request=request, cda=cda, uri="DOC0001.XML", document_id=document_id))
        archive.writestr("IHE_XDM/SUBSET01/DOC0001.XML", cda)
    qualified = request.patient.ins_oid in INS_OIDS or request.patient.ins_oid in INS_TEST_OIDS
    headers = {"X-MSS-CODECDA": request.type_code, "X-MSS-INS": "O" if qualified else "N"}
    given = request.patient.given_names[0] if request.patient.given_names else ""
    subject = (f"{XDM_PREFIX}{request.type_label} {request.patient.birth_name} {given} "
               f"{request.patient.birth_date:%d/%m/%Y}")
    return ProducedDocument(cda=cda, xdm=buffer.getvalue(), headers=headers, subject=subject)
