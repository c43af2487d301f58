"""Celery tasks: thin wrappers around apps.mail.services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.core.backoff import backoff_seconds
from apps.core.crypto import session_key_from_reference, session_reference
from apps.core.errors import MailServerUnavailable

from . import services


@shared_task(name="mail.mailbox_sync_task", bind=True, max_retries=6, acks_late=True)
def mailbox_sync_task(self: Any, mailbox_id: int, session_ref: str | None = None,
                      only: list[str] | None = None) -> str:
    """``session_ref``: an encrypted reference to the session (``session_reference``), never
    the session key itself."""
    try:
        return services.mailbox_sync_in_worker(mailbox_id=mailbox_id,
                                               session_key=session_key_from_reference(session_ref), only=only)
    except MailServerUnavailable as exc:
        # Backing off (beat also waits for next_sync_after).
        raise self.retry(exc=exc, countdown=backoff_seconds(failures=self.request.retries + 1,
                                                            cap=900)) from exc


@shared_task(name="mail.mailbox_sync_schedule_task", soft_time_limit=50, time_limit=60)
def mailbox_sync_schedule_task() -> int:
    """Beat's round: each due mailbox synced at its own offset within the period (issue 28:
    10,000 mailboxes are not handed to the workers in the same second)."""
    candidates = services.mailbox_sync_candidates()
    for mailbox_id, session_key in candidates:
        mailbox_sync_task.apply_async((mailbox_id, session_reference(session_key)),
                                      countdown=services.mailbox_sync_offset(mailbox_id=mailbox_id))
    return len(candidates)


# A send is short; its limits bound how long a dead worker's row stays held (OUTBOX_LEASE).
@shared_task(name="mail.outbox_send_task", bind=True, max_retries=8, acks_late=True,
             soft_time_limit=services.OUTBOX_SEND_SOFT_LIMIT,
             time_limit=services.OUTBOX_SEND_HARD_LIMIT)
def outbox_send_task(self: Any, outbox_id: int) -> str:
    try:
        return services.outbox_process(outbox_id=outbox_id)
    except MailServerUnavailable as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(failures=self.request.retries + 1,
                                                            cap=1800)) from exc


@shared_task(name="mail.outbox_retry_task")
def outbox_retry_task() -> int:
    """Beat's safety net: pending messages whose task was lost (worker restarted...)."""
    due = services.outbox_due()
    for outbox_id in due:
        outbox_send_task.delay(outbox_id)
    return len(due)


@shared_task(name="mail.mailbox_bodies_index_task", acks_late=True, soft_time_limit=90, time_limit=120)
def mailbox_bodies_index_task(mailbox_id: int, session_ref: str | None = None) -> int:
    return services.mailbox_bodies_index_in_worker(mailbox_id=mailbox_id,
                                                   session_key=session_key_from_reference(session_ref))


@shared_task(name="mail.crl_refresh_task", soft_time_limit=240, time_limit=300)
def crl_refresh_task() -> int:
    from .revocation import crl_refresh

    return crl_refresh().kept
