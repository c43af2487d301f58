"""A CDA the business tool built (issue 29): judged by the agency's own checks before it
leaves (the pipeline ``manage.py cda_validate`` runs: CDA_extended.xsd, structuration
minimale, IHE, CI-SIS, ANS, terminologies, the volet's own), its INS checked as compose
checks one, then packed as ours are. Every refusal is said in French; the first failed
assertions are given so that the tool's makers see what to fix."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.documents.cda import INS_OIDS, cda_read
from apps.documents.errors import DocumentUnreadable
from apps.documents.produce.given import GivenDocumentRefused, given_cda_pack
from apps.documents.validation import MaterialMissing, Validator
from apps.mail.services import OutgoingFile
from mailproto.identifiers import ins_valid

from .health_documents import HealthDocumentAttachment

logger = logging.getLogger(__name__)
CDA_MAX_BYTES = 30 * 1024 * 1024
FINDINGS_SHOWN = 5


class GivenCdaRefused(ApplicationError):
    def __init__(self, detail: str, words: str, findings: tuple[str, ...] = ()) -> None:
        super().__init__(detail, user_message=words)
        self.findings = findings


@functools.cache
def document_validator() -> Validator:
    """One per process: compiling the agency's schematrons takes seconds, once."""
    return Validator(material=Path(settings.MSSANTE_CDA_VALIDATION_DIR),
                     cache=Path(settings.MSSANTE_CDA_VALIDATION_CACHE))


def given_cda_attach(*, cda: bytes) -> HealthDocumentAttachment:
    """The attachments, headers and subject of a CDA as given, once the agency's checks
    pass; ``GivenCdaRefused`` otherwise."""
    if len(cda) > CDA_MAX_BYTES:
        raise GivenCdaRefused(f"{len(cda)} bytes", _("The CDA document is over 30 MB."))
    try:
        report = document_validator().validate(cda)
    except MaterialMissing as exc:
        logger.error("a CDA from the business tool cannot be checked: %s", exc)
        raise GivenCdaRefused(str(exc), _("This server cannot check CDA documents right now (the agency's "
                                          "validation material is missing): nothing was sent.")) from exc
    except DocumentUnreadable as exc:
        raise GivenCdaRefused(str(exc), _("This is not a CDA R2 document.")) from exc
    if report.errors:
        shown = tuple(str(f)[:300] for f in report.errors[:FINDINGS_SHOWN])
        logger.info("CDA from the business tool refused: %d failed assertion(s)", len(report.errors))
        raise GivenCdaRefused(f"{len(report.errors)} failed assertions",
                              _("The CDA document fails the agency's checks (failed assertions: %(count)d): "
                                "nothing was sent.")
                              % {"count": len(report.errors)}, shown)
    document = cda_read(cda)
    patient = document.patient
    if patient.ins and not (patient.ins.isascii() and ins_valid(patient.ins)):
        raise GivenCdaRefused("INS key", _("The patient's INS is not valid: 15 characters whose last two are "
                                           "its key."))
    if patient.ins and patient.ins_oid not in INS_OIDS and not settings.MSSANTE_ALLOW_TEST_INS:
        raise GivenCdaRefused("test INS", _("A test INS cannot be used here: give the patient's real INS "
                                            "(NIR or NIA)."))
    try:
        packed = given_cda_pack(cda, source_oid=settings.MSSANTE_DOCUMENT_OID, document=document)
    except GivenDocumentRefused as exc:
        words = (_("Only CDA R2 level 1 documents (a PDF or text body) can be sent this way for now.")
                 if exc.reason == "volet" else
                 _("The CDA document must name its patient (INS and traits) and its author."))
        raise GivenCdaRefused(str(exc), words) from exc
    files = [OutgoingFile(filename="IHE_XDM.zip", data=packed.xdm, content_type="application/zip")]
    if packed.pdf:
        files.append(OutgoingFile(filename=packed.pdf_name, data=packed.pdf, content_type="application/pdf"))
    return HealthDocumentAttachment(files=files, headers=packed.headers, subject=packed.subject)

