"""What the business tool's API does, as use cases beside the pages' (issue 29): the documents
a structure's linked mailboxes received for a patient, and one of them to download. A client
sees its own structure's documents only; anything else is ``NotFound``, as for a page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, NotFound
from apps.integration.models import DocumentDelivery
from apps.integration.services import delivery_cda
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
