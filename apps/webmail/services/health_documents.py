""""Joindre un document de santé" (issue 13): a PDF the professional uploads becomes a CDA
R2 N1 in an IHE_XDM.zip, both attached, with X-MSS-CODECDA and X-MSS-INS and the subject
convention. The patient's traits are typed (the patients issue will plug its registry in
here); the INS key is checked; the author is the signed-in professional (PSC identity),
the custodian their structure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.core.identifiers import ins_valid
from apps.documents.produce import DocumentRequest, PatientTraits, Professional, document_produce
from apps.documents.types import DOCUMENT_TYPE_LABELS
from apps.mail.mime.message import safe_filename
from apps.mail.services import OutgoingFile
from apps.structures.selectors import membership_list_for_user

INS_KINDS = {"NIR": "1.2.250.1.213.1.4.8", "NIA": "1.2.250.1.213.1.4.9", "TEST": "1.2.250.1.213.1.4.10"}
PDF_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class HealthDocumentFields:
    """What compose posted for the document (unchecked)."""

    pdf: bytes
    pdf_name: str
    ins: str
    ins_kind: str
    birth_name: str
    given_names: str
    birth_date: str
    sex: str
    type_code: str
    title: str


@dataclass(frozen=True)
class HealthDocumentAttachment:
    files: list[OutgoingFile]
    headers: dict[str, str]
    subject: str


class DocumentRefused(ApplicationError):
    pass


def _refuse(message: str) -> DocumentRefused:
    return DocumentRefused(message, user_message=message)


def health_document_build(*, user: User, fields: HealthDocumentFields) -> HealthDocumentAttachment:
    """The two attachments, the headers and the subject; ``DocumentRefused`` with the
    French reason for anything missing or wrong (nothing is sent then)."""
    if not fields.pdf.startswith(b"%PDF-") or len(fields.pdf) > PDF_MAX_BYTES:
        raise _refuse(_("The health document must be a PDF file (20 MB at most)."))
    ins = fields.ins.replace(" ", "").upper()
    if fields.ins_kind not in INS_KINDS or not ins_valid(ins):
        raise _refuse(_("The patient's INS is not valid: 15 characters whose last two are its key."))
    try:
        born = dt.date.fromisoformat(fields.birth_date)
    except ValueError:
        raise _refuse(_("Give the patient's date of birth.")) from None
    given = tuple(g for g in fields.given_names.split() if g)[:5]
    if not fields.birth_name.strip() or not given or fields.sex not in ("F", "M", "U"):
        raise _refuse(_("Give the patient's birth name, first names and sex, as on their identity document."))
    label = DOCUMENT_TYPE_LABELS.get(fields.type_code)
    if label is None:
        raise _refuse(_("Choose the type of the document."))
    exercise = user.exercises.order_by("position").first()
    membership = membership_list_for_user(user=user).first()
    structure = membership.structure if membership else None
    patient = PatientTraits(ins=ins, ins_oid=INS_KINDS[fields.ins_kind], sex=fields.sex,
                            birth_name=fields.birth_name.strip().upper(), given_names=given, birth_date=born)
    author = Professional(idnat=user.idnat or "", given_name=user.first_name,
                          family_name=user.last_name.upper(),
                          profession_code=exercise.profession_code if exercise else "",
                          profession_label=exercise.profession_label if exercise else "")
    request = DocumentRequest(
        pdf=fields.pdf, patient=patient, author=author,
        organisation=structure.name if structure else "",
        organisation_id=structure.identifier if structure else "",
        type_code=fields.type_code, type_label=label, title=(fields.title.strip() or label)[:200],
        date=timezone.localtime(), source_oid=settings.MSSANTE_DOCUMENT_OID)
    produced = document_produce(request)
    pdf_name = safe_filename(fields.pdf_name or "document.pdf")
    return HealthDocumentAttachment(
        files=[OutgoingFile(filename="IHE_XDM.zip", data=produced.xdm, content_type="application/zip"),
               OutgoingFile(filename=pdf_name, data=fields.pdf, content_type="application/pdf")],
        headers=produced.headers, subject=produced.subject)
