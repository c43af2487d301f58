"""The outbox: a message is stored first, then sent by a worker with retries, then filed
in Sent, each step at most once even across crashes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_log
from apps.core.backoff import backoff_seconds
from apps.core.crypto import session_key_from_reference, session_reference
from apps.core.errors import MailAuthError, MailServerUnavailable, SessionExpired
from apps.core.queue import task_enqueue
from mailproto.imap import ImapUnavailable
from mailproto.smtp import SmtpRefused, SmtpUnavailable, smtp_submit

from ..endpoints import mailbox_smtp_endpoint
from ..engine.access import (
    MailAccess,
    mail_access_for_session_key,
    mailbox_session,
    operator_unavailable,
    with_credentials,
)
from ..models import Delegation, Folder, Mailbox, OutboxMessage
from ..selectors import delegations_in_force
from ..sync import mailbox_index_sync

logger = logging.getLogger(__name__)


SEND_TASK = "mail.outbox_send_task"  # apps.mail.tasks, enqueued by name (tasks import services)
OUTBOX_MAX_ATTEMPTS = 8
OUTBOX_STALE_AFTER = dt.timedelta(minutes=10)  # a sending row from before leases existed
# A pending row whose task never came (the broker restarted and lost it): beat's retry
# task, every minute, sends it again after this long.
OUTBOX_LOST_TASK_AFTER = dt.timedelta(minutes=1)
# How long a worker holds a row it is sending (kept in next_attempt_at): the send task's
# hard time limit and a margin. Another task for the same row (a duplicate, the broker's
# redelivery after a worker died) leaves it alone until then: never two sends at once.
OUTBOX_SEND_SOFT_LIMIT, OUTBOX_SEND_HARD_LIMIT = 300, 330
OUTBOX_LEASE = dt.timedelta(seconds=OUTBOX_SEND_HARD_LIMIT + 60)


def outbox_enqueue(*, mailbox: Mailbox, user: Any, message: EmailMessage, recipients: Sequence[str],
                   session_key: str | None, dsn: bool = False) -> OutboxMessage:
    """Store the message, then ask a worker to send it once the row is committed."""
    outgoing = OutboxMessage.objects.create(
        mailbox=mailbox, user=user, message_id=str(message["Message-ID"]),
        subject=str(message["Subject"] or "")[:500], recipients=list(recipients),
        raw=message.as_bytes(), session_key=session_reference(session_key), dsn=dsn)
    _send_soon(outgoing.pk)
    return outgoing


def _send_soon(outbox_id: int) -> None:
    task_enqueue(name=SEND_TASK, args=[outbox_id])


def outbox_process(*, outbox_id: int) -> str:
    """What the worker does for one outgoing message. Returns its status afterwards.

    SMTP unavailable → stays pending with a later next_attempt_at (the task retries);
    refused (auth, recipient) or PSC session over → failed, with the reason the user sees.
    Acceptance by SMTP is committed at once, before the Sent copy: a crash after that
    point finishes the job on the next run without sending again. A row another worker
    holds (its lease, ``OUTBOX_LEASE``, not yet over) is left alone: "sending"."""
    now = timezone.now()
    with transaction.atomic():
        outgoing = (OutboxMessage.objects.select_for_update().select_related("mailbox")
                    .filter(pk=outbox_id).first())
        if outgoing is None or outgoing.status in (OutboxMessage.Status.SENT,
                                                   OutboxMessage.Status.FAILED):
            return outgoing.status if outgoing else "gone"
        if (outgoing.status == OutboxMessage.Status.SENDING and outgoing.next_attempt_at
                and outgoing.next_attempt_at > now):
            return OutboxMessage.Status.SENDING
        outgoing.status = OutboxMessage.Status.SENDING
        outgoing.attempts += 1
        outgoing.next_attempt_at = now + OUTBOX_LEASE
        outgoing.save(update_fields=["status", "attempts", "next_attempt_at"])
    # No user: the site itself writes for the mailbox (an integration answer), not a delegate.
    delegated = outgoing.user_id is not None and outgoing.user_id != outgoing.mailbox.owner_id
    if delegated and outgoing.smtp_accepted_at is None and not delegations_in_force().filter(
            user_id=outgoing.user_id or 0, mailbox_id=outgoing.mailbox_id,
            rights=Delegation.Rights.SEND).exists():
        # Revoked or expired between the press of "Send" and now: the delegation decides.
        OutboxMessage.objects.filter(pk=outgoing.pk).update(
            status=OutboxMessage.Status.FAILED,
            last_error=str(_("Your delegation on this mailbox has ended: the message was not sent.")))
        logger.warning("outgoing message %s not sent: no delegation to send from %s any more",
                       outgoing.pk, outgoing.mailbox.address)
        return OutboxMessage.Status.FAILED
    # A login of its own: sending never waits behind the syncs holding the pool.
    session_key = session_key_from_reference(outgoing.session_key)
    access = mail_access_for_session_key(mailbox=outgoing.mailbox, session_key=session_key, pooled=False)
    data = bytes(outgoing.raw)
    try:
        if outgoing.smtp_accepted_at is None:
            _submit(access, outgoing, data)
            OutboxMessage.objects.filter(pk=outgoing.pk).update(smtp_accepted_at=timezone.now())
        _file_in_sent(access, outgoing, data)
    except MailServerUnavailable as exc:
        failed = outgoing.attempts >= OUTBOX_MAX_ATTEMPTS
        wait = backoff_seconds(failures=outgoing.attempts, cap=settings.MSSANTE_SYNC_MAX_BACKOFF)
        OutboxMessage.objects.filter(pk=outgoing.pk).update(
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            last_error=exc.user_message[:500],
            next_attempt_at=timezone.now() + dt.timedelta(seconds=wait))
        raise
    except (MailAuthError, SessionExpired) as exc:
        OutboxMessage.objects.filter(pk=outgoing.pk).update(
            status=OutboxMessage.Status.FAILED, last_error=exc.user_message[:500], session_key="")
        logger.warning("outgoing message %s failed: %s", outgoing.pk, exc.detail)
        return OutboxMessage.Status.FAILED
    OutboxMessage.objects.filter(pk=outgoing.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), raw=b"", last_error="", session_key="")
    audit_log(event="message_sent", actor=getattr(outgoing.user, "idnat", "") or "",
              mailbox=outgoing.mailbox.address, target=outgoing.message_id, outcome="sent",
              structure_id=outgoing.mailbox.structure_id,
              delegation=Delegation.Rights.SEND if delegated else "",
              recipients=len(outgoing.recipients))
    return OutboxMessage.Status.SENT


def _submit(access: MailAccess, outgoing: OutboxMessage, data: bytes) -> None:
    mailbox = access.mailbox
    try:
        with_credentials(
            access=access,
            refused=lambda exc: isinstance(exc, SmtpRefused) and "authentication" in str(exc),
            use=lambda credentials: smtp_submit(
                mailbox_smtp_endpoint(mailbox=mailbox), credentials, mailbox.address, outgoing.recipients,
                data, dsn_envelope_id=outgoing.message_id if outgoing.dsn else ""))
    except SmtpUnavailable as exc:
        logger.error("SMTP unavailable for %s: %s", mailbox.address, exc)
        raise operator_unavailable(exc) from exc
    except SmtpRefused as exc:
        raise MailAuthError(str(exc), user_message=str(
            _("The operator's server refused this message: %(reason)s") % {"reason": exc})) from exc


def _file_in_sent(access: MailAccess, outgoing: OutboxMessage, data: bytes) -> None:
    """A copy in Sent, once: after a crash the copy may already be there."""
    sent = Folder.objects.filter(mailbox=access.mailbox, role=Folder.Role.SENT).first()
    name = sent.name if sent else "Sent"
    try:
        with mailbox_session(access=access) as session:
            session.examine(name)
            if not session.search_header(name, "Message-ID", outgoing.message_id):
                session.append(name, data, flags=[b"\\Seen"])
            if sent:  # « Envoyés » shows the copy at once (an incremental sync, as drafts do)
                try:
                    mailbox_index_sync(mailbox=access.mailbox, session=session, only=[name])
                except ImapUnavailable as exc:
                    logger.info("Sent of %s not refreshed after sending: %s", access.mailbox.address, exc)
    except (MailServerUnavailable, MailAuthError) as exc:
        # Already sent: a missing copy in Sent must not make us send again.
        logger.error("message %s sent but not filed in Sent: %s", outgoing.message_id, exc)


def outbox_due(*, now: dt.datetime | None = None) -> list[int]:
    """What beat's retry task sends again: pending rows due, pending rows whose task was
    lost, and rows whose sender's lease ran out (its worker died)."""
    now = now or timezone.now()
    return list(OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=OutboxMessage.Status.PENDING, next_attempt_at__isnull=True,
            created_at__lte=now - OUTBOX_LOST_TASK_AFTER)
        | Q(status=OutboxMessage.Status.SENDING, next_attempt_at__lte=now)
        | Q(status=OutboxMessage.Status.SENDING, next_attempt_at__isnull=True,
            created_at__lte=now - OUTBOX_STALE_AFTER)).values_list("pk", flat=True))


def outbox_retry(*, outgoing: OutboxMessage, session_key: str | None) -> None:
    """The user's "Réessayer": back to pending with the user's current session (its PSC
    tokens), and a worker asked at once."""
    OutboxMessage.objects.filter(pk=outgoing.pk).update(session_key=session_reference(session_key))
    if outgoing.status == OutboxMessage.Status.FAILED and outgoing.raw:
        OutboxMessage.objects.filter(pk=outgoing.pk).update(
            status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=None)
        _send_soon(outgoing.pk)
