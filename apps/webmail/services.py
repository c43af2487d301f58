"""The compose flow: recipients checked against the trust space, then the mail engine."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.mail.mime.message import ParsedMessage
from apps.mail.mime.receipts import mdn_build
from apps.mail.models import Folder, Mailbox, MessageSummary, OutboxMessage
from apps.mail.services import (
    OutgoingFile,
    TokenProvider,
    message_build,
    message_keyword_set,
    outbox_enqueue,
)
from apps.trust.selectors import RecipientVerdict, recipients_check

from .models import ImageSender, Signature

logger = logging.getLogger(__name__)


class RecipientsRefused(ApplicationError):
    """At least one recipient is outside the trust space or malformed, or there is none:
    nothing was sent."""

    default_message = gettext_lazy("Add at least one recipient.")  # when nothing refused

    def __init__(self, verdicts: list[RecipientVerdict]) -> None:
        self.verdicts = verdicts
        refused = [v for v in verdicts if not v.allowed]
        super().__init__(", ".join(v.address for v in refused),
                         user_message=" ".join(f"{v.address} : {v.message}" for v in refused))


class AttachmentsTooLarge(ApplicationError):
    """Over the operator's size limit: refused before anything is stored."""


def attachments_size_check(*, files: Sequence[OutgoingFile], mailbox: Mailbox) -> None:
    """Refuse, before anything is stored or sent, attachments over the operator's limit
    (for a message being sent and for a draft alike)."""
    total = sum(len(f.data) for f in files)
    limit = settings.MSSANTE_MAX_MESSAGE_SIZE
    if total * 4 // 3 > limit:  # base64 makes attachments a third bigger on the wire
        logger.info("attachments from %s refused: %s bytes, the operator's limit is %s",
                    mailbox.address, total, limit)
        raise AttachmentsTooLarge(
            f"{total} bytes of attachments", user_message=_(
                "The attachments weigh %(size)s; your operator accepts messages up to %(limit)s. "
                "Remove some files or send them in several messages.") % {
                "size": filesizeformat(total), "limit": filesizeformat(limit)})


def message_compose_send(*, user: User, mailbox: Mailbox, to: list[str], subject: str, body: str,
                         session_key: str | None, in_reply_to: str = "",
                         references: str = "", files: Sequence[OutgoingFile] = (),
                         html: str = "", read_receipt: bool = False,
                         dsn: bool = False) -> OutboxMessage:
    """Refuse before anything is stored when a recipient is not allowed; otherwise put the
    message in the outbox, which a worker sends (with retries) using the user's session."""
    verdicts = recipients_check(addresses=to)
    if not verdicts:
        raise RecipientsRefused([])
    if not all(v.allowed for v in verdicts):
        logger.warning("message from %s refused: recipients outside the trust space %s",
                       mailbox.address, [v.address for v in verdicts if not v.allowed])
        raise RecipientsRefused(verdicts)
    attachments_size_check(files=files, mailbox=mailbox)
    addresses = [v.address for v in verdicts]
    message = message_build(mailbox=mailbox, sender_name=user.display_name, to=addresses,
                            subject=subject, body=body, in_reply_to=in_reply_to,
                            references=references, files=files, html=html,
                            read_receipt=read_receipt)
    return outbox_enqueue(mailbox=mailbox, user=user, message=message, recipients=addresses,
                          session_key=session_key, dsn=dsn)


MDN_SENT = "$MDNSent"  # RFC 3503: set once the user has sent or declined the receipt


def receipt_requested(*, mailbox: Mailbox, folder: Folder, summary: MessageSummary,
                      parsed: ParsedMessage) -> str:
    """Who asks for a read receipt, when the user still has to answer; else ""."""
    asker = parseaddr(parsed.read_receipt_to)[1].lower()
    if (not asker or asker == mailbox.address or MDN_SENT in summary.keywords.split()
            or folder.role in (Folder.Role.SENT, Folder.Role.DRAFTS)):
        return ""
    return asker


def receipt_respond(*, user: User, mailbox: Mailbox, folder: Folder, summary: MessageSummary,
                    parsed: ParsedMessage, send: bool, session_key: str | None,
                    token_provider: TokenProvider | None, pool_key: str | None = None) -> None:
    """The user's answer to a read-receipt request: the MDN goes through the outbox (only
    inside the trust space, like any message) or is declined; either way $MDNSent is set
    so the question is never asked again, on any client."""
    asker = receipt_requested(mailbox=mailbox, folder=folder, summary=summary, parsed=parsed)
    if not asker:
        return
    if send:
        verdicts = recipients_check(addresses=[asker])
        if not verdicts or not verdicts[0].allowed:
            logger.warning("read receipt from %s to %s refused: outside the trust space",
                           mailbox.address, asker)
            raise RecipientsRefused(verdicts)
        mdn = mdn_build(
            reporter=mailbox.address, reporter_name=user.display_name, to=asker,
            original_message_id=parsed.message_id,
            subject=_("Read receipt: %(subject)s") % {"subject": parsed.subject},
            explanation=_("Your message “%(subject)s” was displayed by %(reader)s. This does not "
                          "guarantee that it was read or understood.\n") % {
                "subject": parsed.subject, "reader": mailbox.address},
            message_id=make_msgid(domain=mailbox.address.split("@")[1]))
        mdn["X-MSS-NIL"] = settings.MSSANTE_NIL
        outbox_enqueue(mailbox=mailbox, user=user, message=mdn, recipients=[asker],
                       session_key=session_key)
    message_keyword_set(folder=folder, uid=summary.uid, keyword=MDN_SENT,
                        token_provider=token_provider, pool_key=pool_key)


# ------------------------------------------------------------------ settings

def signature_set(*, user: User, mailbox: Mailbox, text: str) -> None:
    """Stores (or clears) the user's signature for a mailbox; trailing blanks dropped and
    the usual "-- " delimiter left to the compose page."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip("\n").split("\n"))
    if text.startswith("-- \n") or text.startswith("--\n"):
        text = text.split("\n", 1)[1]
    Signature.objects.update_or_create(user=user, mailbox=mailbox, defaults={"text": text[:2000]})


def image_sender_add(*, user: User, address: str) -> None:
    if address:
        ImageSender.objects.get_or_create(user=user, address=address.lower()[:254])


def image_sender_remove(*, user: User, address: str) -> None:
    ImageSender.objects.filter(user=user, address=address.lower()).delete()
