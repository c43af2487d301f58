"""The compose page's flow: what a reply, forward or resumed draft starts with, what a
forward carries from its original, and what happens when the form comes back (recipients
typed without JavaScript become chips; otherwise the message is checked and queued, and
the draft it came from removed)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError, MessageGone
from apps.mail.models import Folder, Mailbox
from apps.mail.selectors import mailbox_list_for_user
from apps.mail.selectors.senders import sender_label
from apps.mail.services import (
    MailAccess,
    OutgoingFile,
    draft_discard,
    draft_save,
    message_build,
)
from apps.mail.services.messages import message_cached_get
from mailproto.mime.message import Attachment, parse_message, safe_filename
from mailproto.mime.replies import (
    Prefill,
    QuoteTexts,
    draft_prefill,
    forward_prefill,
    reply_prefill,
)

from .health_documents import DocumentRefused, health_document_build
from .inputs import RECIPIENT_FIELDS, ComposeForm, Uploads, compose_origin
from .patients import PatientRefused, patients_check
from .sending import (
    AttachmentsTooLarge,
    RecipientsRefused,
    attachments_size_check,
    attachments_total_check,
    message_compose_send,
)

logger = logging.getLogger(__name__)
AccessFor = Callable[[Mailbox], MailAccess]  # the request's way to reach each of its mailboxes
MODES = ("reply", "all", "forward", "attached", "draft")


class OriginGone(ApplicationError):
    """The message whose attachments a forward or a draft carries is no longer there."""


@dataclass
class ComposeOutcome:
    form: ComposeForm
    sent: bool = False
    error: str | None = None
    notice: str = ""
    status: int = 200


def _quote_texts() -> QuoteTexts:
    return QuoteTexts(
        forward_intro=_("-------- Forwarded message --------\nFrom: %(sender)s\nDate: %(date)s\n"
                        "Subject: %(subject)s"),
        wrote=_("On %(date)s, %(sender)s wrote:"))


def _origin(value: str, mailboxes: list[Mailbox],
            readable: Sequence[Mailbox] = ()) -> tuple[Mailbox, Folder, int] | None:
    """The message a reply or forward starts from, if it is in one of the user's mailboxes
    (those they write from, or, for a forward, ``readable``: those they may open, such as
    their structure's application mailbox)."""
    ids = compose_origin(value)
    mailbox = next((m for m in [*mailboxes, *readable] if ids and m.pk == ids[0]), None)
    folder = Folder.objects.filter(mailbox=mailbox, pk=ids[1]).first() if mailbox and ids else None
    return (mailbox, folder, ids[2]) if mailbox and folder and ids else None


def compose_prefill(*, access_for: AccessFor, form: ComposeForm, mailboxes: list[Mailbox], mode: str,
                    origin: str, readable: Sequence[Mailbox] = ()) -> ComposeForm:
    """Reply, reply to all, forward (inline or attached) or a resumed draft: recipients,
    subject, quoted text, thread headers, the original's attachments."""
    found = _origin(origin, mailboxes, readable if mode in ("forward", "attached") else ())
    if found is None or mode not in MODES:
        return form
    mailbox, folder, uid = found
    original = message_cached_get(access=access_for(mailbox), folder=folder, uid=uid).parsed
    if mode == "draft":
        prefill = draft_prefill(original)
    elif mode in ("forward", "attached"):
        prefill = forward_prefill(original, texts=_quote_texts(), attached=mode == "attached")
    else:
        prefill = reply_prefill(original, to_all=mode == "all", texts=_quote_texts(),
                                own_addresses={m.address for m in mailboxes})
    in_drafts = mode == "draft" and folder.role == Folder.Role.DRAFTS
    sender = mailbox if mailbox in mailboxes else mailboxes[0]  # a forward from a mailbox only read
    return _form_from_prefill(prefill, mailbox=sender.pk, origin=f"{mailbox.pk}:{folder.pk}:{uid}",
                              draft_uid=uid if in_drafts else None)


def _form_from_prefill(prefill: Prefill, *, mailbox: int, origin: str, draft_uid: int | None) -> ComposeForm:
    return ComposeForm(to=prefill.to, cc=prefill.cc, bcc=prefill.bcc, mailbox=mailbox,
                       subject=prefill.subject, body=prefill.body,
                       html=prefill.html, in_reply_to=prefill.in_reply_to, references=prefill.references,
                       forward=prefill.forward, keep=prefill.keep, draft_uid=draft_uid,
                       origin=origin if prefill.forward else "")


def forwarded_get(*, access_for: AccessFor, form: ComposeForm, mailboxes: list[Mailbox],
                  sending: bool = False,
                  user: User | None = None) -> tuple[list[OutgoingFile], list[Attachment]]:
    """What a forward (or a resumed draft) carries from the original: the whole message as
    an attachment, or the attachments the user kept. Returns the files and, for the page,
    what they are. ``sending``: only the files matter (nothing kept, nothing fetched)."""
    readable = list(mailbox_list_for_user(user=user)) if user is not None and form.forward else []
    origin = _origin(form.origin, mailboxes, readable) if form.forward else None
    if origin is None or (sending and form.forward != "attached" and not form.keep):
        return [], []
    mailbox, folder, uid = origin
    try:
        cached = message_cached_get(access=access_for(mailbox), folder=folder, uid=uid)
    except MessageGone:
        raise OriginGone(f"origin {form.origin} gone", user_message=_(
            "The original message is no longer in your mailbox: its attachments cannot be "
            "sent. Untick them, or attach the files again.")) from None
    raw, original = cached.raw, cached.parsed
    if form.forward == "attached":
        name = safe_filename(f"{original.subject or _('message')}.eml")
        return ([OutgoingFile(filename=name, content_type="message/rfc822", data=raw)],
                [Attachment(part_id="", filename=name, content_type="message/rfc822",
                            size=len(raw), content_id="", inline=False)])
    files, shown = [], []
    for attachment in original.attachments:
        if attachment.inline and attachment.content_id:
            continue
        shown.append(attachment)
        found = cached.part(attachment.part_id) if attachment.part_id in form.keep else None
        if found is not None:
            files.append(OutgoingFile(filename=found[2] or attachment.filename,
                                      content_type=found[1], data=found[0]))
    return files, shown


def compose_submit(*, access_for: AccessFor, user: User, form: ComposeForm, mailboxes: list[Mailbox],
                   uploads: Uploads, session_key: str | None) -> ComposeOutcome:
    """The form came back. Addresses typed in "À" without the page's script (not loaded
    yet, or no JavaScript), or a chip's "×": as with the script, they become recipients
    to check and nothing is sent yet (a forward sent with a half-written note cannot be
    taken back). Otherwise: checked, queued, and the draft it came from removed."""
    if form.typed or form.drop:
        return ComposeOutcome(form=_recipients_edited(form), notice=_edited_notice(form, uploads))
    mailbox = next((m for m in mailboxes if m.pk == form.mailbox), mailboxes[0])
    try:
        attachments_total_check(total=uploads.declared, who=mailbox.address)  # before reading any
        files = uploads.read() + forwarded_get(access_for=access_for, form=form, mailboxes=mailboxes,
                                               sending=True, user=user)[0]
        document = health_document_build(user=user, fields=form.document) if form.document else None
        headers = {**(document.headers if document else {}),
                   **patients_check(user=user, form=form)}
        message_compose_send(user=user, mailbox=mailbox, to=form.to, cc=form.cc, bcc=form.bcc,
                             subject=(form.subject or document.subject) if document else form.subject,
                             body=form.body, session_key=session_key, in_reply_to=form.in_reply_to,
                             references=form.references, files=files + (document.files if document else []),
                             read_receipt=form.read_receipt, dsn=form.dsn, html=form.html,
                             mss_headers=headers)
    except (RecipientsRefused, DocumentRefused, PatientRefused) as exc:
        return ComposeOutcome(form=form, error=exc.user_message, status=400)
    except AttachmentsTooLarge as exc:
        return ComposeOutcome(form=form, error=exc.user_message, status=413)
    except ApplicationError as exc:  # the operator down, the original gone: nothing lost
        logger.info("message from %s not queued: %s", mailbox.address, exc.detail)
        return ComposeOutcome(form=form, error=exc.user_message, status=409)
    if form.draft_uid:
        try:
            draft_discard(access=access_for(mailbox), uid=form.draft_uid)
        except ApplicationError as exc:
            logger.warning("draft %s not removed after sending: %s", form.draft_uid, exc.detail)
    return ComposeOutcome(form=form, sent=True)


def _recipients_edited(form: ComposeForm) -> ComposeForm:
    """The form with what was typed in each field added as its chips (once, in order),
    and the chip whose "×" was pressed ("field:address") removed."""
    dropped_field, _sep, dropped = form.drop.partition(":")
    changes: dict[str, list[str]] = {}
    for name in RECIPIENT_FIELDS:
        chips = [a for a in form.recipients(name)
                 if not (name == dropped_field and a.lower() == dropped.lower())]
        known = {a.lower() for a in chips}
        chips += [a for a in dict.fromkeys(form.typed.get(name, [])) if a.lower() not in known]
        changes[name] = chips
    return replace(form, typed={}, drop="", to=changes["to"], cc=changes["cc"], bcc=changes["bcc"])


def _edited_notice(form: ComposeForm, uploads: Uploads) -> str:
    notice = _("Recipients added: check them, then click Send.") if form.typed else ""
    if uploads.declared:
        notice += " " + _("Choose your attachments again: they were not kept.")
    return notice.strip()


def draft_autosave(*, access_for: AccessFor, user: User, form: ComposeForm, mailboxes: list[Mailbox],
                   uploads: Uploads) -> dict[str, object]:
    """Save what is typed as the draft (replacing the last save). Attachments chosen since
    the last save go up with it and then live in the draft: the answer lists them (with
    their part ids in the new draft) so the page keeps them from there instead of
    uploading them again. Raises ``AttachmentsTooLarge`` or another ``ApplicationError``."""
    mailbox = next((m for m in mailboxes if m.pk == form.mailbox), mailboxes[0])
    attachments_total_check(total=uploads.declared, who=mailbox.address)  # before reading any
    files = uploads.read() + forwarded_get(access_for=access_for, form=form, mailboxes=mailboxes,
                                           sending=True, user=user)[0]
    attachments_size_check(files=files, mailbox=mailbox)
    message = message_build(mailbox=mailbox, sender_name=sender_label(user=user, mailbox=mailbox),
                            to=form.to, cc=form.cc,
                            draft_bcc=form.bcc, subject=form.subject,
                            body=form.body, html=form.html, in_reply_to=form.in_reply_to,
                            references=form.references, files=files)
    uid = draft_save(access=access_for(mailbox), message=message, replaces=form.draft_uid)
    answer: dict[str, object] = {"draft_uid": uid, "saved_at": timezone.localtime().strftime("%H:%M:%S")}
    drafts = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.DRAFTS).first()
    if files and uid and drafts:
        answer["origin"] = f"{mailbox.pk}:{drafts.pk}:{uid}"
        answer["attachments"] = [
            {"part_id": a.part_id, "filename": a.filename, "size": a.size, "content_type": a.content_type}
            for a in parse_message(message.as_bytes()).attachments if not (a.inline and a.content_id)]
    return answer
