"""A health document's pages as use cases (issue 13): its page (header, sections, lab
results, each opening by the person audited with a pseudonymous patient reference), the
N1's own file, the images its narrative shows and the package files it links to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.core.crypto import patient_reference
from apps.core.errors import NotFound
from apps.documents.cda import ClinicalDocument
from apps.documents.results import lab_results
from apps.mail.models import Folder, Mailbox, MessageSummary

from .actor import Actor, actor_access, actor_audit_opened, actor_folder
from .documents import (
    DocumentCard,
    SectionView,
    document_media_get,
    document_package_file_get,
    document_sections_html,
    message_document_get,
)
from .reader import MessagePart, summary_of


def _card(
    actor: Actor, mailbox_id: int, folder_id: int, uid: int, key: str
) -> tuple[Mailbox, Folder, DocumentCard]:
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id)
    card = message_document_get(access=actor_access(actor, mailbox), folder=folder, uid=uid, key=key)
    if card is None:
        raise NotFound(f"document {key}")
    return mailbox, folder, card


@dataclass(frozen=True)
class DocumentPage:
    mailbox: Mailbox
    folder: Folder
    summary: MessageSummary
    card: DocumentCard
    document: ClinicalDocument
    sections: list[SectionView]
    results: Any  # a CR-BIO's results table (``documents.results``), or None


def document_page_get(
    *, actor: Actor, mailbox_id: int, folder_id: int, uid: int, key: str, media_url: str, file_url: str
) -> DocumentPage:
    """The document's page; the person opening it is audited (never an image or a prefetch)."""
    mailbox, folder, card = _card(actor, mailbox_id, folder_id, uid, key)
    summary = summary_of(folder, uid)
    document = card.document
    assert document is not None  # message_document_get gives readable documents only
    if actor.page_load:
        actor_audit_opened(
            actor,
            event="document_opened",
            mailbox=mailbox,
            folder=folder,
            uid=uid,
            message_id=summary.message_id,
            document=document.id,
            type=document.type.code,
            patient=patient_reference(document.patient.ins) if document.patient.ins else "",
        )
    return DocumentPage(
        mailbox=mailbox,
        folder=folder,
        summary=summary,
        card=card,
        document=document,
        sections=document_sections_html(card=card, media_url=media_url, file_url=file_url),
        results=lab_results(document.root),
    )


def document_file_get(
    *, actor: Actor, mailbox_id: int, folder_id: int, uid: int, key: str
) -> ClinicalDocument:
    """A document with its own content (an N1's PDF or text), else ``NotFound``."""
    document = _card(actor, mailbox_id, folder_id, uid, key)[2].document
    if document is None or not document.body_bytes:
        raise NotFound("no file in this document")
    return document


def _part(found: tuple[bytes, str] | None, filename: str, missing: str) -> MessagePart:
    if found is None:
        raise NotFound(missing)
    return MessagePart(data=found[0], content_type=found[1], filename=filename)


def document_image_get(
    *, actor: Actor, mailbox_id: int, folder_id: int, uid: int, key: str, ref: str
) -> MessagePart:
    """An image or a PDF the document's narrative shows."""
    card = _card(actor, mailbox_id, folder_id, uid, key)[2]
    return _part(document_media_get(card=card, ref=ref), ref, f"image {ref}")


def document_package_file_open(
    *, actor: Actor, mailbox_id: int, folder_id: int, uid: int, key: str, name: str
) -> MessagePart:
    """A file of the document's package its narrative links to (type "" when unknown)."""
    card = _card(actor, mailbox_id, folder_id, uid, key)[2]
    return _part(document_package_file_get(card=card, name=name), name, f"no file {name} in the package")
