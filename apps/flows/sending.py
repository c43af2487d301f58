"""Sending: recipients checked against the trust space and sizes against the operator's
limit before anything is stored, then the outbox (a worker sends)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.mail.models import Mailbox, OutboxMessage
from apps.mail.selectors.senders import sender_label
from apps.mail.services import OutgoingFile, message_build, outbox_enqueue
from apps.trust.selectors import RecipientVerdict, recipients_check

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
    attachments_total_check(total=sum(len(f.data) for f in files), who=mailbox.address)


def attachments_total_check(*, total: int, who: str) -> None:
    """``total`` bytes of attachments, or ``AttachmentsTooLarge`` with the French reason.
    Called with the uploads' declared sizes before any is read, then with what is sent."""
    limit = settings.MSSANTE_MAX_MESSAGE_SIZE
    if total * 4 // 3 > limit:  # base64 makes attachments a third bigger on the wire
        logger.info("attachments from %s refused: %s bytes, the operator's limit is %s",
                    who, total, limit)
        raise AttachmentsTooLarge(
            f"{total} bytes of attachments", user_message=_(
                "The attachments weigh %(size)s; your operator accepts messages up to %(limit)s. "
                "Remove some files or send them in several messages.") % {
                "size": filesizeformat(total), "limit": filesizeformat(limit)})


def message_compose_send(*, user: User | None, mailbox: Mailbox, to: list[str], subject: str, body: str,
                         session_key: str | None, in_reply_to: str = "",
                         references: str = "", files: Sequence[OutgoingFile] = (),
                         html: str = "", read_receipt: bool = False,
                         dsn: bool = False, cc: Sequence[str] = (),
                         bcc: Sequence[str] = (), mss_headers: dict[str, str] | None = None) -> OutboxMessage:
    """Refuse before anything is stored when a recipient (in any field) is not allowed;
    otherwise put the message in the outbox, which a worker sends (with retries) using the
    user's session (no user: the business tool for an application mailbox). Blind copies
    are envelope recipients only: no header names them."""
    fields = {"to": list(to), "cc": list(cc), "bcc": list(bcc)}
    verdicts = {name: recipients_check(addresses=addresses) for name, addresses in fields.items()}
    every = [v for name in fields for v in verdicts[name]]
    if not every:
        raise RecipientsRefused([])
    if not all(v.allowed for v in every):
        logger.warning("message from %s refused: recipients outside the trust space %s",
                       mailbox.address, [v.address for v in every if not v.allowed])
        raise RecipientsRefused(every)
    attachments_size_check(files=files, mailbox=mailbox)
    chosen = {name: [v.address for v in found] for name, found in verdicts.items()}
    message = message_build(mailbox=mailbox, sender_name=sender_label(user=user, mailbox=mailbox),
                            to=chosen["to"],
                            cc=chosen["cc"], subject=subject, body=body, in_reply_to=in_reply_to,
                            references=references, files=files, html=html,
                            read_receipt=read_receipt, mss_headers=mss_headers)
    envelope = list(dict.fromkeys(a.lower() for name in fields for a in chosen[name]))
    return outbox_enqueue(mailbox=mailbox, user=user, message=message, recipients=envelope,
                          session_key=session_key, dsn=dsn)
