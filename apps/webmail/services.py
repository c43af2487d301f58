"""The compose flow: recipients checked against the trust space, then the mail engine."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.mail.models import Mailbox, OutboxMessage
from apps.mail.services import OutgoingFile, message_build, outbox_enqueue
from apps.trust.selectors import RecipientVerdict, recipients_check

logger = logging.getLogger(__name__)


class RecipientsRefused(ApplicationError):
    """At least one recipient is outside the trust space or malformed: nothing was sent."""

    def __init__(self, verdicts: list[RecipientVerdict]) -> None:
        self.verdicts = verdicts
        refused = [v for v in verdicts if not v.allowed]
        super().__init__(", ".join(v.address for v in refused),
                         user_message=" ".join(f"{v.address} : {v.message}" for v in refused))


class AttachmentsTooLarge(ApplicationError):
    """Over the operator's size limit: refused before anything is stored."""


def message_compose_send(*, user: User, mailbox: Mailbox, to: list[str], subject: str, body: str,
                         session_key: str | None, in_reply_to: str = "",
                         references: str = "", files: Sequence[OutgoingFile] = ()) -> OutboxMessage:
    """Refuse before anything is stored when a recipient is not allowed; otherwise put the
    message in the outbox, which a worker sends (with retries) using the user's session."""
    verdicts = recipients_check(addresses=to)
    if not verdicts:
        raise RecipientsRefused([])
    if not all(v.allowed for v in verdicts):
        logger.warning("message from %s refused: recipients outside the trust space %s",
                       mailbox.address, [v.address for v in verdicts if not v.allowed])
        raise RecipientsRefused(verdicts)
    total = sum(len(f.data) for f in files)
    limit = settings.MSSANTE_MAX_MESSAGE_SIZE
    if total * 4 // 3 > limit:  # base64 makes attachments a third bigger on the wire
        raise AttachmentsTooLarge(
            f"{total} bytes of attachments", user_message=_(
                "The attachments weigh %(size)s; your operator accepts messages up to %(limit)s. "
                "Remove some files or send them in several messages.") % {
                "size": filesizeformat(total), "limit": filesizeformat(limit)})
    addresses = [v.address for v in verdicts]
    message = message_build(mailbox=mailbox, sender_name=user.display_name, to=addresses,
                            subject=subject, body=body, in_reply_to=in_reply_to,
                            references=references, files=files)
    return outbox_enqueue(mailbox=mailbox, user=user, message=message, recipients=addresses,
                          session_key=session_key)
