"""What the business tool's API does, as use cases beside the pages' (issue 29): the documents
a structure's linked mailboxes received for a patient, and one of them to download. A client
sees its own structure's documents only; anything else is ``NotFound``, as for a page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, NotFound
from apps.integration.models import DocumentDelivery
from apps.integration.services import delivery_cda
from mailproto.identifiers import ascii_digits
from mss.ins import InsInvalid, ins_parse


class InsRefused(ApplicationError):
    pass


@dataclass(frozen=True)
class ReceivedDocument:
    id: int
    title: str
    type_code: str
    patient_ins: str
    patient_name: str
    effective: dt.datetime | None
    received_at: dt.datetime
    sender: str
    subject: str
    mailbox: str
    integration: str  # pending / accepted / refused, in the structure's own software
    error_code: str


def _row(d: DocumentDelivery) -> ReceivedDocument:
    return ReceivedDocument(id=d.pk, title=d.title, type_code=d.type_code, patient_ins=d.patient_ins,
                            patient_name=d.patient_name, effective=d.effective,
                            received_at=d.message.created_at,
                            sender=d.message.sender, subject=d.message.subject,
                            mailbox=d.message.endpoint.mailbox.address, integration=d.state,
                            error_code=d.error_code)


def _of_structure(structure_id: int) -> object:
    return (DocumentDelivery.objects.filter(message__endpoint__mailbox__structure_id=structure_id)
            .select_related("message__endpoint__mailbox"))


def patient_documents_list(*, structure_id: int, ins: str) -> list[ReceivedDocument]:
    """Newest first; ``InsRefused`` (in French) for what is not an INS (its key checked)."""
    try:
        parsed = ins_parse(ins[:20])
    except InsInvalid as exc:
        raise InsRefused(f"INS refused: {exc}", user_message=_("This is not a valid INS.")) from exc
    rows = (DocumentDelivery.objects.filter(message__endpoint__mailbox__structure_id=structure_id,
                                            patient_ins=parsed.matricule)
            .order_by("-message__created_at", "-pk")
            .values_list("pk", "title", "type_code", "patient_ins", "patient_name", "effective",
                         "message__created_at", "message__sender", "message__subject",
                         "message__endpoint__mailbox__address", "state", "error_code")[:200])
    return [ReceivedDocument(*row) for row in rows]  # rows, not models: the tool may ask often


def document_download(*, structure_id: int, document_id: int) -> tuple[ReceivedDocument, bytes]:
    found = _of_structure(structure_id).filter(pk=document_id).first()  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(f"document {document_id} not in structure {structure_id}")
    try:
        return _row(found), delivery_cda(delivery=found)
    except LookupError as exc:
        raise NotFound(str(exc), user_message=_("This document is no longer in the mailbox.")) from exc


@dataclass(frozen=True)
class SoftwareLink:
    to: list[str]
    origin: str  # "<mailbox>:<folder>:<uid>" of the message holding the document, or ""
    error: str | None = None


def software_link_resolve(*, user: Any, ins: str, document: str) -> SoftwareLink:
    """What compose starts with when the business software opens it: the patient's address
    when the user's lists hold that INS qualified (ECO.2.2.6), and the message carrying the
    document when one of the user's mailboxes received it; what cannot be used is said."""
    from django.conf import settings

    from apps.mail.selectors import mailbox_list_for_user
    from apps.patients.models import Patient

    problems, to, origin = [], [], ""
    if ins:
        known = Patient.objects.filter(Q(owner=user) | Q(structure__memberships__user=user),
                                       matricule=ins[:20].strip(), qualified=True).exists()
        if known and settings.MSSANTE_PATIENT_DOMAIN:
            to.append(f"{ins.strip()}@{settings.MSSANTE_PATIENT_DOMAIN}")
        else:
            problems.append(_("The patient your software names is not in your patient list with a qualified "
                              "INS: choose the recipient yourself."))
    if document:
        found = (DocumentDelivery.objects.filter(pk=int(document) if ascii_digits(document[:12]) else 0,
                                                 message__endpoint__mailbox__in=mailbox_list_for_user(user=user))
                 .select_related("message").first())
        if found is not None and found.message.folder_id is not None:
            handed = found.message
            origin = f"{handed.endpoint.mailbox_id}:{handed.folder_id}:{handed.uid}"
        else:
            problems.append(_("The document your software names is not in a mailbox you may open."))
    return SoftwareLink(to=to, origin=origin, error=" ".join(str(p) for p in problems) or None)
