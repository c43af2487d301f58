"""The reader's use cases: a message's page (what it shows, the read recorded and the
message marked read only when the person opened it), its body frame, a forwarded message
read in place, an attachment opened or downloaded, the source, a read receipt answered,
a sender's images always shown. Each resolves the mailbox and folder through the actor."""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.errors import NotFound
from apps.integration.selectors import HandOver, hand_over_of
from apps.integration.services import hand_over_again
from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors import folder_list, message_summary_get, thread_messages
from apps.mail.services import IntegrationFailure, integration_failure_of, message_flag_set, message_raw_get
from apps.patients.inbox_rule import PENDING
from apps.trust.models import DirectoryEntry
from apps.trust.selectors import directory_entry_get
from mailproto.mime.message import Attachment, ParsedMessage
from mailproto.mime.receipts import Report
from mss import headers

from .actor import (
    Actor,
    actor_access,
    actor_audit,
    actor_audit_opened,
    actor_folder,
    actor_mailbox,
    folder_of,
)
from .documents import DocumentCard, message_documents
from .preferences import image_sender_add
from .reading import (
    attached_body_html,
    attached_message_get,
    message_body_html,
    message_parsed_get,
    message_part_get,
    message_reports_shown,
)
from .receipts import receipt_requested, receipt_respond
from .selectors import image_sender_trusted, sender_outside_trust


def summary_of(folder: Folder, uid: int) -> MessageSummary:
    """The message's row in the index, else ``NotFound``."""
    summary = message_summary_get(folder=folder, uid=uid)
    if summary is None:
        raise NotFound(f"message {uid}")
    return summary


def _shown_files(parsed: ParsedMessage) -> list[Attachment]:
    """The attachments named under the message: not the images its body shows in place."""
    return [a for a in parsed.attachments if not (a.inline and a.content_id)]


@dataclass(frozen=True)
class MessagePage:
    mailbox: Mailbox
    folders: list[Folder]
    folder: Folder
    summary: MessageSummary
    message: ParsedMessage
    images: bool  # remote images shown: asked for, or this sender's are always shown
    sender_trusted: bool
    remote_images: int
    sender_outside: bool
    sender_entry: DirectoryEntry | None
    files: list[Attachment]
    conversation: list[MessageSummary]
    receipt_asker: str
    reports: list[Report]
    documents: list[DocumentCard]
    pending_folder_name: str = PENDING
    integration_failure: IntegrationFailure | None = None  # a "[KO Intégration système !]" message
    end_of_exchange: str = ""  # to a patient: "message" (X-MSS-MES: FIN) or "all" ("[FIN]")
    hand_over: HandOver | None = None  # its documents handed to the mailbox's business software


def message_page_get(
    *, actor: Actor, mailbox_id: int, folder_id: int, uid: int, images_asked: bool, cid_url: str
) -> MessagePage:
    """Everything the message's page shows. Only when the person opened the page
    (``actor.page_load``) is the read audited and the message marked read."""
    mailbox = actor_mailbox(actor, mailbox_id)
    folders = folder_list(mailbox=mailbox)  # the pane's, and the open one among them
    folder = next((f for f in folders if f.pk == folder_id), None) or folder_of(mailbox, folder_id)
    access = actor_access(actor, mailbox)
    summary = summary_of(folder, uid)
    parsed = message_parsed_get(access=access, folder=folder, uid=uid)
    if actor.page_load:  # never from an image, a prefetch or a script's fetch
        actor_audit_opened(actor, event="message_read", mailbox=mailbox, folder=folder, uid=uid,
                           message_id=summary.message_id)
        if not summary.seen:
            message_flag_set(access=access, folder=folder, uids=[uid], flag="seen", value=True)
    remote_images = (
        message_body_html(access=access, folder=folder, uid=uid, images=False, cid_url=cid_url)[1]
        if parsed.html
        else 0
    )
    # Whether this sender's images are always shown matters only when there are some.
    sender_trusted = bool(remote_images) and image_sender_trusted(
        user=actor.user, address=parsed.sender_address
    )
    return MessagePage(
        mailbox=mailbox,
        folders=folders,
        folder=folder,
        summary=summary,
        message=parsed,
        images=images_asked or sender_trusted,
        sender_trusted=sender_trusted,
        remote_images=remote_images,
        sender_outside=sender_outside_trust(address=parsed.sender_address, folder=folder),
        sender_entry=directory_entry_get(address=parsed.sender_address),
        files=_shown_files(parsed),
        conversation=thread_messages(mailbox=mailbox, thread_key=summary.thread_key)
        if summary.thread_key
        else [],
        receipt_asker=receipt_requested(mailbox=mailbox, folder=folder, summary=summary, parsed=parsed),
        reports=message_reports_shown(access=access, folder=folder, summary=summary),
        documents=message_documents(access=access, folder=folder, uid=uid),
        integration_failure=integration_failure_of(summary=summary),
        end_of_exchange=headers.end_of_exchange_read(subject=parsed.subject, headers=parsed.x_headers),
        hand_over=hand_over_of(mailbox=mailbox, summary=summary),
    )


def message_frame_get(
    *, actor: Actor, mailbox_id: int, folder_id: int, uid: int, images: bool, cid_url: str
) -> str:
    """The sanitised body the message's frame shows."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id)
    return message_body_html(
        access=actor_access(actor, mailbox), folder=folder, uid=uid, images=images, cid_url=cid_url
    )[0]


@dataclass(frozen=True)
class AttachedMessagePage:
    mailbox: Mailbox
    folders: list[Folder]
    folder: Folder
    message: ParsedMessage
    files: list[Attachment]


def attached_message_page_get(
    *, actor: Actor, mailbox_id: int, folder_id: int, uid: int, part_id: str
) -> AttachedMessagePage:
    """A forwarded message read in place, with its own attachments named."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id)
    parsed = attached_message_get(
        access=actor_access(actor, mailbox), folder=folder, uid=uid, part_id=part_id
    )
    return AttachedMessagePage(
        mailbox=mailbox,
        folders=folder_list(mailbox=mailbox),
        folder=folder,
        message=parsed,
        files=_shown_files(parsed),
    )


def attached_frame_get(*, actor: Actor, mailbox_id: int, folder_id: int, uid: int, part_id: str) -> str:
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id)
    return attached_body_html(access=actor_access(actor, mailbox), folder=folder, uid=uid, part_id=part_id)


@dataclass(frozen=True)
class MessagePart:
    data: bytes
    content_type: str
    filename: str


def message_part_open(
    *,
    actor: Actor,
    mailbox_id: int,
    folder_id: int,
    uid: int,
    part_id: str = "",
    cid: str = "",
    preview: bool = False,
) -> MessagePart:
    """An attachment (or an image the body shows, by ``cid``); an attachment the person
    opened or downloaded themselves is audited."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id)
    data, content_type, filename = message_part_get(
        access=actor_access(actor, mailbox), folder=folder, uid=uid, part_id=part_id, cid=cid
    )
    if not cid and actor.page_load:
        actor_audit_opened(actor, event="attachment_downloaded", mailbox=mailbox, folder=folder, uid=uid,
                           message_id=summary_of(folder, uid).message_id, filename=filename, preview=preview)
    return MessagePart(data=data, content_type=content_type, filename=filename)


def message_source_get(*, actor: Actor, mailbox_id: int, folder_id: int, uid: int) -> bytes:
    """ "Afficher la source": the raw message."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id)
    return message_raw_get(access=actor_access(actor, mailbox), folder=folder, uid=uid)


def receipt_answer(*, actor: Actor, mailbox_id: int, folder_id: int, uid: int, send: bool,
                   integration: str = "") -> None:
    """The user's answer to a read-receipt request: send it (``RecipientsRefused`` when
    the asker is outside the trust space), or decline; for a health document, saying
    whether it was integrated (``integration``: "ok" or a code 900–906)."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id, write=True)
    access = actor_access(actor, mailbox)
    summary = summary_of(folder, uid)
    receipt_respond(
        access=access,
        user=actor.user,
        folder=folder,
        summary=summary,
        parsed=message_parsed_get(access=access, folder=folder, uid=uid),
        send=send,
        session_key=actor.session_key,
        integration=integration,
    )


def image_sender_trust(*, actor: Actor, mailbox_id: int, folder_id: int, uid: int) -> str:
    """ "Toujours pour cet expéditeur": the message's sender's remote images are shown from
    now on; returns the sender's address."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id)
    parsed = message_parsed_get(access=actor_access(actor, mailbox), folder=folder, uid=uid)
    image_sender_add(user=actor.user, address=parsed.sender_address)
    return parsed.sender_address


def hand_over_again_run(*, actor: Actor, mailbox_id: int, folder_id: int, uid: int) -> int:
    """A reader of the linked mailbox asks the software to be handed this message's
    documents again (after the software's refusal was dealt with); audited."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id, write=True)
    summary = summary_of(folder, uid)
    count = hand_over_again(mailbox=mailbox, message_id=summary.message_id)
    actor_audit(actor, event="documents_handed_again", mailbox=mailbox, target=summary.message_id,
                count=count)
    return count
