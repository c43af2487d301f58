"""Producing an MSSanté health document from a PDF (issues 13 and 23): the PDF converted to
PDF/A-1, a CDA R2 N1 whose header passes the agency's schematrons (``header``), packed with
its METADATA.XML (``metadata``) in an IHE_XDM.zip, the PDF/A beside it under the ECO.2.1.6
name, and the X-MSS headers and subject the message carries. Pure Python; what we produce
reads back through ``cda``/``xdm`` unchanged."""

from __future__ import annotations

import base64
import datetime as dt
import io
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from lxml import etree

from mss import headers as mss_headers
from mss.subjects import XDM_PREFIX

from ..cda import INS_OIDS
from .header import XDS_SD, e, header_build, type_concept
from .metadata import metadata_build, patient_id
from .model import (
    DocumentRefusedError,
    DocumentRequest,
    Organisation,
    PatientTraits,
    Professional,
    request_check,
)
from .pdfa import PdfaUnavailable, pdfa_convert, pdfa_part

__all__ = [
    "DocumentRefusedError",
    "DocumentRequest",
    "Organisation",
    "PatientTraits",
    "PdfaUnavailable",
    "ProducedDocument",
    "Professional",
    "XDM_PREFIX",
    "cda_n1_build",
    "document_produce",
    "metadata_build",
    "patient_id",
    "pdf_file_name",
    "pdfa_part",
    "xdm_pack",
]



def cda_n1_build(
    request: DocumentRequest, *, document_id: str | None = None, pdf: bytes | None = None
) -> bytes:
    """The CDA R2 N1 of ``request``: the structuration minimale header, ``nonXMLBody``
    holding the PDF (``pdf``, else the request's) in base64."""
    request_check(request)
    root = header_build(
        request, document_id=document_id or uuid.uuid4().hex, set_id=uuid.uuid4().hex, templates=(XDS_SD,)
    )
    body = e(e(root, "component"), "nonXMLBody")
    e(
        body,
        "text",
        base64.b64encode(pdf if pdf is not None else request.pdf).decode("ascii"),
        mediaType="application/pdf",
        representation="B64",
    )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _file_part(text: str) -> str:
    """A name part safe on every file system: letters, digits and dashes, no accents."""
    plain = unicodedata.normalize("NFKD", text)
    kept = "".join(c if c.isascii() and c.isalnum() else "-" for c in plain if not unicodedata.combining(c))
    return "-".join(part for part in kept.split("-") if part)[:60] or "X"


def pdf_file_name(request: DocumentRequest, *, document_id: str) -> str:
    act = request.act_date or request.date
    number = request.file_number or request.patient.file_number or document_id[:12]
    return eco_pdf_name(act=act, type_label=type_concept(request.type_code).label,
                        birth_name=request.patient.birth_name, given_name=request.patient.given_names[0],
                        number=number)


def eco_pdf_name(*, act: dt.datetime, type_label: str, birth_name: str, given_name: str, number: str) -> str:
    """ECO.2.1.6: ``<date acte>_<type>_<NOM>_<prénom>_<n° dossier>.pdf``."""
    parts = (f"{act:%Y%m%d}", type_label, birth_name.upper(), given_name, number)
    return "_".join(_file_part(part) for part in parts) + ".pdf"


@dataclass(frozen=True)
class ProducedDocument:
    cda: bytes
    xdm: bytes  # IHE_XDM.zip
    pdf: bytes  # the PDF/A-1 rendition, attached beside the zip
    pdf_name: str  # its ECO.2.1.6 name
    headers: dict[str, str]  # X-MSS-CODECDA, X-MSS-INS
    subject: str


def xdm_pack(*, request: DocumentRequest, cda: bytes, document_id: str) -> bytes:
    """The IHE_XDM.zip of a CDA we produced from ``request``."""
    metadata = metadata_build(request=request, cda=cda, uri="DOC0001.XML", document_id=document_id)
    return xdm_zip(title=request.title, date=request.date, cda=cda, metadata=metadata)


def xdm_zip(*, title: str, date: dt.datetime, cda: bytes, metadata: bytes) -> bytes:
    """The IHE_XDM.zip of one CDA: README, INDEX, METADATA and the document."""
    readme = (
        "Archive IHE XDM produite par mssante-web.\r\n"
        f"Document : {title}\r\nDate : {date:%d/%m/%Y}\r\n"
    ).encode()
    index = (
        b'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>IHE XDM</title></head>'
        b'<body><p><a href="IHE_XDM/SUBSET01/DOC0001.XML">DOC0001.XML</a></p></body></html>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.TXT", readme)
        archive.writestr("INDEX.HTM", index)
        archive.writestr("IHE_XDM/SUBSET01/METADATA.XML", metadata)
        archive.writestr("IHE_XDM/SUBSET01/DOC0001.XML", cda)
    return buffer.getvalue()


def document_produce(request: DocumentRequest) -> ProducedDocument:
    """The PDF/A, the CDA, its IHE_XDM.zip, the MSSanté headers and the subject convention.
    ``DocumentRefusedError`` for a value no document may carry, ``DocumentUnreadable("pdfa")``
    for a PDF that cannot become PDF/A."""
    request_check(request)
    document_id = uuid.uuid4().hex
    pdf = pdfa_convert(request.pdf, title=request.title)
    cda = cda_n1_build(request, document_id=document_id, pdf=pdf)
    # X-MSS-INS says "O" only for a qualified INS: a real NIR or NIA with its traits; a
    # test or demonstration INS never is.
    qualified = request.patient.ins_oid in INS_OIDS
    headers = mss_headers.document_headers(type_code=request.type_code, qualified=qualified)
    patient = request.patient
    subject = (
        f"{XDM_PREFIX}{type_concept(request.type_code).label} {patient.birth_name} {patient.given_names[0]} "
        f"{patient.birth_date:%d/%m/%Y}"
    )
    return ProducedDocument(
        cda=cda,
        xdm=xdm_pack(request=request, cda=cda, document_id=document_id),
        pdf=pdf,
        pdf_name=pdf_file_name(request, document_id=document_id),
        headers=headers,
        subject=subject,
    )
