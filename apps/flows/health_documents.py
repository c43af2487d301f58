""" "Joindre un document de santé" (issues 13 and 23): a PDF the professional uploads becomes a
PDF/A-1 and a CDA R2 N1 in an IHE_XDM.zip, both attached, with X-MSS-CODECDA and X-MSS-INS and
the subject convention. The patient's traits are typed (the birth place taken from the
patient registry when the professional's list has it); the INS key is checked; the author
is the signed-in professional (PSC identity: civility, title, profession and specialty),
the custodian their structure (FINESS or SIRET, activity sector as facility type).

``health_document_request`` is the whole mapping with no database: ``manage.py
document_examples`` builds the demo's documents through it exactly as compose does."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.documents.errors import DocumentUnreadable
from apps.documents.produce import (
    DocumentRequest,
    Organisation,
    PatientTraits,
    PdfaUnavailable,
    Professional,
    document_produce,
)
from apps.documents.types import document_type_label
from apps.mail.services import OutgoingFile
from apps.patients.models import Patient
from apps.structures.selectors import membership_list_for_user
from mailproto.identifiers import ins_valid
from mss.ins import KIND_OIDS

logger = logging.getLogger(__name__)
INS_KINDS = KIND_OIDS
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
    birth_place: str = ""
    act_date: str = ""


@dataclass(frozen=True)
class HealthDocumentAttachment:
    files: list[OutgoingFile]
    headers: dict[str, str]
    subject: str


class DocumentRefused(ApplicationError):
    pass


def _refuse(message: str) -> DocumentRefused:
    return DocumentRefused(message, user_message=message)


REFUSALS = {  # marked for translation here, translated where raised
    "control_character": gettext_noop(
        "A field of the document holds a character a document cannot carry (a control character)."
    ),
    "ins": gettext_noop("The patient's INS is not valid: 15 characters whose last two are its key."),
    "traits": gettext_noop(
        "Give the patient's birth name, first names and sex, as on their identity document."
    ),
    "birth_place": gettext_noop(
        "Give the patient's place of birth as its INSEE code (5 characters, 99xxx when born abroad)."
    ),
    "pdfa": gettext_noop(
        "This PDF cannot be converted to PDF/A, the archival format health documents require. "
        "Export it again as PDF from its software, or print it to PDF, then attach it."
    ),
}


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def health_document_request(
    *,
    fields: HealthDocumentFields,
    author: Professional,
    organisation: Organisation | None,
    now: dt.datetime,
    source_oid: str,
) -> DocumentRequest:
    """The document to produce from what compose posted; ``DocumentRefused`` with the French
    reason for anything missing or wrong (nothing is sent then)."""
    if not fields.pdf.startswith(b"%PDF-") or len(fields.pdf) > PDF_MAX_BYTES:
        raise _refuse(_("The health document must be a PDF file (20 MB at most)."))
    ins = fields.ins.replace(" ", "").upper()
    if fields.ins_kind not in INS_KINDS or not ins.isascii() or not ins_valid(ins):
        raise _refuse(_(REFUSALS["ins"]))
    if fields.ins_kind == "TEST" and not settings.MSSANTE_ALLOW_TEST_INS:
        # as the patients' import: a test INS belongs to development stacks only
        raise _refuse(_("A test INS cannot be used here: give the patient's real INS (NIR or NIA)."))
    born = _date(fields.birth_date)
    if born is None:
        raise _refuse(_("Give the patient's date of birth."))
    given = tuple(g for g in fields.given_names.split() if g)[:5]
    if not fields.birth_name.strip() or not given or fields.sex not in ("F", "M", "U"):
        raise _refuse(_(REFUSALS["traits"]))
    label = document_type_label(fields.type_code)
    if label is None:
        raise _refuse(_("Choose the type of the document."))
    act_day = _date(fields.act_date)
    act = dt.datetime.combine(act_day, dt.time(12), tzinfo=now.tzinfo) if act_day else now
    if act > now + dt.timedelta(days=1):
        raise _refuse(_("The date of the act cannot be in the future."))
    patient = PatientTraits(
        ins=ins,
        ins_oid=INS_KINDS[fields.ins_kind],
        sex=fields.sex,
        birth_name=fields.birth_name.strip().upper(),
        given_names=given,
        birth_date=born,
        birth_place=fields.birth_place.strip().upper(),
    )
    return DocumentRequest(
        pdf=fields.pdf,
        patient=patient,
        author=author,
        organisation=organisation,
        type_code=fields.type_code,
        title=(fields.title.strip() or label)[:200],
        date=now,
        act_date=act,
        source_oid=source_oid,
    )


def _author(user: User) -> Professional:
    exercise = user.exercises.order_by("position").first()
    return Professional(
        idnat=user.idnat or "",
        given_name=user.first_name,
        family_name=user.last_name.upper(),
        profession_code=exercise.profession_code if exercise else "",
        profession_label=exercise.profession_label if exercise else "",
        expertise_code=exercise.savoir_faire_code if exercise else "",
        prefix=user.civility,
        suffix=exercise.civility if exercise else "",
    )


def _organisation(user: User) -> Organisation | None:
    membership = membership_list_for_user(user=user).first()
    if membership is None:
        return None
    structure = membership.structure
    kind = structure.identifier_type
    return Organisation(
        name=structure.name,
        finess=structure.identifier if kind == "finess" else "",
        siret=structure.identifier if kind == "siret" else "",
        facility_type=structure.sector,
        postcode=structure.postcode,
        city=structure.city,
    )


def _registry_birth_place(user: User, fields: HealthDocumentFields) -> HealthDocumentFields:
    """The birth place from the professional's patient list when compose left it empty."""
    if fields.birth_place.strip():
        return fields
    matricule = fields.ins.replace(" ", "").upper()
    known = (
        Patient.objects.filter(owner_id=user.pk, matricule=matricule)
        .exclude(birthplace="")
        .values_list("birthplace", flat=True)
        .first()
    )
    if not known:
        return fields
    return HealthDocumentFields(**{**fields.__dict__, "birth_place": known})


def health_document_build(*, user: User, fields: HealthDocumentFields) -> HealthDocumentAttachment:
    """The two attachments (the IHE_XDM.zip, the PDF/A under its ECO.2.1.6 name), the
    headers and the subject; ``DocumentRefused`` with the French reason."""
    request = health_document_request(
        fields=_registry_birth_place(user, fields),
        author=_author(user),
        organisation=_organisation(user),
        now=timezone.localtime(),
        source_oid=settings.MSSANTE_DOCUMENT_OID,
    )
    try:
        produced = document_produce(request)
    except DocumentUnreadable as exc:  # DocumentRefusedError included
        logger.info("health document refused for %s: %s (%s)", user.idnat, exc.reason, exc.detail)
        raise _refuse(_(REFUSALS.get(exc.reason, REFUSALS["pdfa"]))) from exc
    except PdfaUnavailable as exc:
        logger.error("health documents cannot be produced: %s", exc)
        raise _refuse(
            _(
                "Health documents cannot be produced on this server right now "
                "(its PDF/A converter is missing). Your message was not sent."
            )
        ) from exc
    return HealthDocumentAttachment(
        files=[
            OutgoingFile(filename="IHE_XDM.zip", data=produced.xdm, content_type="application/zip"),
            OutgoingFile(filename=produced.pdf_name, data=produced.pdf, content_type="application/pdf"),
        ],
        headers=produced.headers,
        subject=produced.subject,
    )
