"""A CDA someone else built (the business tool's, issue 29), packed as we pack ours: its
METADATA.XML read from its own header (the ANS CDA-to-XDS mapping, the other way round),
the IHE_XDM.zip, the X-MSS headers, the subject convention and, for an N1 with a PDF body,
the PDF beside the zip under the ECO.2.1.6 name. The caller has run the agency's checks:
what is read here is only what the metadata needs, refused when missing. Pure Python.

Structured (N3) documents are not packed yet: their XDS formatCode is the volet's own
(ASS-A11, ``urn:asip:ci-sis:<volet>:<version>``), a table the agency's material here does
not ship."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from mss import headers as mss_headers
from mss.subjects import XDM_PREFIX

from ..cda import INS_OIDS, ClinicalDocument, cda_read
from ..errors import DocumentUnreadable
from ..timestamps import hl7_time
from ..valuesets import Concept, document_class
from . import ProducedDocument, eco_pdf_name, xdm_zip
from .metadata import PDF_FORMAT, XdmFacts, metadata_xml, patient_traits, xcn, xon
from .model import PatientTraits

NS = {"h": "urn:hl7-org:v3"}
TEXT_FORMAT = Concept("urn:ihe:iti:xds-sd:text:2008", "1.3.6.1.4.1.19376.1.2.3",
                      "Document à corps non structuré en texte brut")
BIRTH_PLACE = "h:recordTarget/h:patientRole/h:patient/h:birthplace/h:place/h:addr/h:county"
FORMATS = {"application/pdf": PDF_FORMAT, "text/plain": TEXT_FORMAT}


class GivenDocumentRefused(DocumentUnreadable):
    """Not packable: ``reason`` "volet" (an N3, or a body we do not carry) or "traits"
    (no INS, no author, no patient traits in the header); ``detail`` says which."""


def _first(root: etree._Element, path: str) -> etree._Element | None:
    found = root.xpath(path, namespaces=NS)
    return found[0] if found else None


def _text(root: etree._Element, path: str) -> str:
    node = _first(root, path)
    return " ".join((node.text or "").split()) if node is not None else ""


def _concept(root: etree._Element, path: str) -> Concept:
    node = _first(root, path)
    if node is None:
        return Concept("", "", "")
    return Concept(node.get("code") or "", node.get("codeSystem") or "", node.get("displayName") or "")


def _moment(root: etree._Element, path: str) -> dt.datetime | None:
    node = _first(root, path)
    return hl7_time(node.get("value") or "") if node is not None else None


def given_facts(document: ClinicalDocument, *, source_oid: str) -> XdmFacts:
    """The metadata of a CDA from its header; ``GivenDocumentRefused`` when it lacks what
    the metadata must say."""
    root = document.root
    assert root is not None
    if document.level != "N1" or document.body_media_type not in FORMATS:
        body = document.body_media_type or "structured body"
        raise GivenDocumentRefused("volet", f"{document.level} {body}")
    patient = document.patient
    if not patient.ins or not patient.birth_date or not patient.given_names or not patient.birth_name:
        raise GivenDocumentRefused("traits", "the patient's INS and traits")
    author = _first(root, "h:author/h:assignedAuthor[h:assignedPerson]")
    if author is None:
        raise GivenDocumentRefused("traits", "no author person")
    idnat = _first(author, "h:id")
    organisation_id = _first(author, "h:representedOrganization/h:id")
    effective = document.effective or dt.datetime.now(dt.UTC)
    start = _moment(root, "h:documentationOf/h:serviceEvent/h:effectiveTime/h:low") or effective
    stop = _moment(root, "h:documentationOf/h:serviceEvent/h:effectiveTime/h:high") or start
    traits = PatientTraits(ins=patient.ins, ins_oid=patient.ins_oid, birth_name=patient.birth_name,
                           given_names=patient.given_names, birth_date=patient.birth_date, sex=patient.sex,
                           birth_place=_text(root, BIRTH_PLACE)[:5])
    cx = f"{patient.ins}^^^&{patient.ins_oid}&ISO^NH"
    return XdmFacts(
        title=document.title or document.type.label, created=effective, service_start=start,
        service_stop=stop,
        patient_id=cx, patient_traits=tuple(patient_traits(traits)),
        author_person=xcn(idnat=(idnat.get("extension") or "") if idnat is not None else "",
                          family=_text(author, "h:assignedPerson/h:name/h:family"),
                          given=_text(author, "h:assignedPerson/h:name/h:given"),
                          prefix=_text(author, "h:assignedPerson/h:name/h:prefix")),
        author_institution=xon(name=_text(author, "h:representedOrganization/h:name"),
                               structure=(organisation_id.get("extension") or "")
                               if organisation_id is not None else ""),
        author_specialty=_concept(author, "h:code"), class_code=document_class(document.type.code),
        type_code=Concept(document.type.code, document.type.system, document.type.label),
        format_code=FORMATS[document.body_media_type],
        facility=_concept(root, "h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility/"
                                "h:code"),
        setting=_concept(root, "h:documentationOf/h:serviceEvent/h:performer/h:assignedEntity/"
                               "h:representedOrganization/h:standardIndustryClassCode"),
        confidentiality=Concept(document.confidentiality.code, document.confidentiality.system,
                                document.confidentiality.label),
        unique_id=document.id, source_oid=source_oid)


def given_cda_pack(cda: bytes, *, source_oid: str,
                   document: ClinicalDocument | None = None) -> ProducedDocument:
    """The IHE_XDM.zip of a CDA as given (its bytes unchanged), its PDF beside it when it
    has one, the headers and the subject (``document``: ``cda`` already read)."""
    document = document or cda_read(cda)
    facts = given_facts(document, source_oid=source_oid)
    patient = document.patient
    pdf = document.body_bytes if document.body_media_type == "application/pdf" else b""
    name = eco_pdf_name(act=facts.service_start, type_label=document.type.label or document.type.code,
                        birth_name=patient.birth_name, given_name=patient.given_names[0],
                        number=document.id.rpartition("^")[2][:12] or "1")
    return ProducedDocument(
        cda=cda, xdm=xdm_zip(title=facts.title, date=facts.created, cda=cda,
                             metadata=metadata_xml(facts=facts, cda=cda, uri="DOC0001.XML")),
        pdf=pdf, pdf_name=name if pdf else "",
        headers=mss_headers.document_headers(type_code=document.type.code,
                                             qualified=patient.ins_oid in INS_OIDS),
        subject=f"{XDM_PREFIX}{document.type.label} {patient.birth_name} {patient.given_names[0]} "
                f"{patient.birth_date:%d/%m/%Y}")
