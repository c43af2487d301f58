"""Read receipts asked of the user: shown once, answered (sent through the outbox, inside
the trust space only) or declined, and never asked again on any client."""

from __future__ import annotations

import logging
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors.senders import sender_label
from apps.mail.services import MailAccess, message_keyword_set, outbox_enqueue
from apps.trust.selectors import recipients_check
from mailproto.mime.message import ParsedMessage
from mailproto.mime.receipts import mdn_build
from mss import headers
from mss import integration as integration_codes

from .sending import RecipientsRefused

logger = logging.getLogger(__name__)

MDN_SENT = "$MDNSent"  # RFC 3503: set once the user has sent or declined the receipt


def receipt_requested(*, mailbox: Mailbox, folder: Folder, summary: MessageSummary,
                      parsed: ParsedMessage) -> str:
    """Who asks for a read receipt, when the user still has to answer; else ""."""
    asker = parseaddr(parsed.read_receipt_to)[1].lower()
    if (not asker or asker == mailbox.address or MDN_SENT in summary.keywords.split()
            or folder.role in (Folder.Role.SENT, Folder.Role.DRAFTS)):
        return ""
    return asker


INTEGRATED = "ok"  # the answer's value for "document intégré"


def _integration_answer(integration: str, subject: str, reader: str) -> tuple[str, str, str]:
    """(disposition, Error field, the words a person reads) of a read receipt that also
    says what became of the health document (ANS IG v1.1.3): "" for a plain receipt,
    ``INTEGRATED``, or one of the codes 900–906."""
    if integration == INTEGRATED:
        return "processed", "", _("Your message “%(subject)s” was received by %(reader)s and its document "
                                  "integrated.\n") % {"subject": subject, "reader": reader}
    label = integration_codes.APPLICATION_ERRORS.get(integration)
    if label:
        reason = _(label)
        return "processed/error", f"{integration}^{reason}", _(
            "Your message “%(subject)s” was received by %(reader)s, who could not integrate its document: "
            "%(reason)s (%(code)s).\n") % {"subject": subject, "reader": reader, "reason": reason,
                                            "code": integration}
    return "displayed", "", _("Your message “%(subject)s” was displayed by %(reader)s. This does not "
                              "guarantee that it was read or understood.\n") % {
        "subject": subject, "reader": reader}


def receipt_respond(*, access: MailAccess, user: User, folder: Folder, summary: MessageSummary,
                    parsed: ParsedMessage, send: bool, session_key: str | None,
                    integration: str = "") -> None:
    """The user's answer to a read-receipt request: the MDN goes through the outbox (only
    inside the trust space, like any message) or is declined; either way $MDNSent is set
    so the question is never asked again, on any client. ``integration``: for a message
    carrying a health document, whether it was integrated ("ok") or the code saying why not."""
    mailbox = access.mailbox
    asker = receipt_requested(mailbox=mailbox, folder=folder, summary=summary, parsed=parsed)
    if not asker:
        return
    if send:
        verdicts = recipients_check(addresses=[asker])
        if not verdicts or not verdicts[0].allowed:
            logger.warning("read receipt from %s to %s refused: outside the trust space",
                           mailbox.address, asker)
            raise RecipientsRefused(verdicts)
        disposition, error, explanation = _integration_answer(integration, parsed.subject, mailbox.address)
        mdn = mdn_build(
            reporter=mailbox.address, reporter_name=sender_label(user=user, mailbox=mailbox), to=asker,
            original_message_id=parsed.message_id,
            subject=_("Read receipt: %(subject)s") % {"subject": parsed.subject},
            explanation=explanation, message_id=make_msgid(domain=mailbox.address.split("@")[1]),
            disposition=disposition, error=error)
        mdn[headers.NIL] = settings.MSSANTE_NIL
        outbox_enqueue(mailbox=mailbox, user=user, message=mdn, recipients=[asker],
                       session_key=session_key)
    message_keyword_set(access=access, folder=folder, uid=summary.uid, keyword=MDN_SENT)
