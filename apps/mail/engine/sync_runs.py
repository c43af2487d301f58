"""Syncs as the site runs them, from the most direct to the most deferred:

* ``mailbox_sync``: under the mailbox's Redis lock (one sync per mailbox, whoever starts
  it: a page, a sign-in, beat, a worker), reach the mailbox, bring its index in step
  (``apps.mail.sync``) and record the outcome the folder pane shows (backing off after
  failures). The web calls it for "Réessayer";
* ``mailbox_first_screen``: a never-synced mailbox's INBOX, synced inline, or waited for
  when a worker is already at it;
* ``mailbox_sync_in_worker``: what ``mailbox_sync_task`` runs: credentials from the user's
  stored session, and a status word instead of an exception where retrying cannot help;
* ``mailbox_sync_enqueue``: ask a worker for one (debounced, not while backing off);
* ``mailbox_sync_candidates``: what beat asks for.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import redis
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import LiveSession
from apps.core.backoff import backoff_seconds
from apps.core.crypto import session_reference
from apps.core.errors import (
    IndexUnavailable,
    MailAuthError,
    MailServerUnavailable,
    SessionExpired,
    SyncInProgress,
)
from apps.core.locks import redis_client, shared_lock
from apps.core.queue import task_enqueue
from mailproto.imap.errors import ImapCommandError
from mailproto.imap.quota import Quota, quota_get
from mailproto.imap.session import ImapSession

from ..models import Folder, Mailbox
from ..selectors import delegations_in_force
from ..sync import IndexWriterFailed, SyncReport, mailbox_index_sync
from .access import MailAccess, mail_access_for_session_key, mailbox_session
from .body_indexing import mailbox_bodies_index_enqueue
from .inbox_rules import inbox_rules_run
from .news import mailbox_changed_publish

logger = logging.getLogger(__name__)

SYNC_TASK = "mail.mailbox_sync_task"  # apps.mail.tasks, enqueued by name (tasks import services)
# The lock outlives the task's hard time limit: a sync killed at its limit has released
# nothing, and no other may start on the mailbox before the killed one is surely gone.
SYNC_LOCK_SECONDS = settings.CELERY_TASK_TIME_LIMIT + 60
# A quota reading is redone after this even when no mail came or went (the operator may
# change the limit; a message moved by another client shows as a change anyway).
QUOTA_MAX_AGE = dt.timedelta(minutes=15)
FIRST_SCREEN_WAIT = 10.0  # seconds a page waits for a worker's first sync to make the INBOX


def mailbox_sync(*, access: MailAccess, only: Sequence[str] | None = None,
                 initial_limit: int | None = None) -> SyncReport:
    """Sync and record the outcome on the mailbox (what the folder pane shows). Raises
    ``SyncInProgress`` when another sync of the mailbox runs."""
    with mailbox_sync_lock(mailbox_id=access.mailbox.pk) as acquired:
        if not acquired:
            raise SyncInProgress(f"{access.mailbox.address}: a sync is running")
        report = _sync_recorded(access=access, only=only, initial_limit=initial_limit)
        if report.changed:  # the open pages of the mailbox hear of it now (issue 28)
            mailbox_changed_publish(mailbox_id=access.mailbox.pk,
                                    folders=[f.name for f in report.folders if f.mode != "unchanged"])
        inbox_rules_run(access=access)  # cheap when nothing arrived: each rule keeps its own mark
        return report


def mailbox_first_screen(*, access: MailAccess, only: Sequence[str], initial_limit: int) -> None:
    """The first screen of a mailbox never synced, inline (the newest messages of ``only``);
    when a worker is already syncing it (the sign-in asked for one), wait for it to have
    made the INBOX instead of syncing alongside."""
    try:
        mailbox_sync(access=access, only=only, initial_limit=initial_limit)
    except SyncInProgress:
        deadline = time.monotonic() + FIRST_SCREEN_WAIT
        inbox = Folder.objects.filter(mailbox=access.mailbox, role=Folder.Role.INBOX)
        while time.monotonic() < deadline and not inbox.filter(last_sync_at__isnull=False).exists():
            time.sleep(0.1)


def _sync_recorded(*, access: MailAccess, only: Sequence[str] | None,
                   initial_limit: int | None) -> SyncReport:
    mailbox = access.mailbox
    Mailbox.objects.filter(pk=mailbox.pk).update(sync_running_since=timezone.now())
    try:
        with mailbox_session(access=access) as session:
            start = session.round_trips.count
            report = mailbox_index_sync(mailbox=mailbox, session=session, only=only,
                                        initial_limit=initial_limit,
                                        keep_watching=access.pool_key is not None)
            report.round_trips = session.round_trips.count - start
            quota_due = only is None and _quota_due(mailbox_id=mailbox.pk, changed=report.changed)
            quota = _quota_read(session) if quota_due else None
    except MailServerUnavailable as exc:
        _sync_failed(mailbox, Mailbox.SyncError.SERVER, exc.detail)
        raise
    except MailAuthError as exc:
        _sync_failed(mailbox, Mailbox.SyncError.AUTH, exc.detail)
        raise
    except (IndexWriterFailed, DatabaseError) as exc:
        # Our side: the index full, locked or down, the writer killed. What was stored
        # stays, the folder is not marked complete, and the next run resumes.
        logger.exception("sync of %s failed writing the index", mailbox.address)
        _sync_failed(mailbox, Mailbox.SyncError.INDEX, f"{type(exc).__name__}: {exc}")
        raise IndexUnavailable(str(exc)) from exc
    except SoftTimeLimitExceeded as exc:
        # Our side too: the task's time ran out (what was stored stays, the next run
        # resumes after the backoff, not at once).
        logger.error("sync of %s stopped at the task's time limit", mailbox.address)
        _sync_failed(mailbox, Mailbox.SyncError.INDEX, "the sync reached its time limit")
        raise IndexUnavailable("time limit") from exc
    except (SystemExit, KeyboardInterrupt) as exc:
        # The worker ends this task (Celery's hard time limit terminates the child, a
        # shutdown): recorded with its backoff, or beat would hand the same stalling
        # mailbox to a worker again at its next round.
        logger.error("sync of %s terminated (%s)", mailbox.address, type(exc).__name__)
        _sync_failed(mailbox, Mailbox.SyncError.INDEX, "the sync was stopped by its worker")
        raise
    except BaseException:
        Mailbox.objects.filter(pk=mailbox.pk).update(sync_running_since=None)
        raise
    now = timezone.now()
    quota_fields: dict[str, object] = {}
    if quota_due:  # read (or not offered): next due when mail comes or goes, or in QUOTA_MAX_AGE
        quota_fields["quota_read_at"] = now
        if quota is not None:
            quota_fields.update(quota_used_kb=quota.used_kb, quota_limit_kb=quota.limit_kb)
    elif report.changed:  # a partial sync that saw mail come or go: the next full sync reads it
        quota_fields["quota_read_at"] = None
    Mailbox.objects.filter(pk=mailbox.pk).update(
        sync_running_since=None, last_sync_at=now, sync_failures=0,
        last_sync_error="", last_sync_error_kind="", next_sync_after=None, **quota_fields)
    return report


def _quota_due(*, mailbox_id: int, changed: bool) -> bool:
    """Whether a full sync reads the quota: when it saw mail come or go, when a partial
    sync did since the last reading, or when that reading is older than QUOTA_MAX_AGE (the
    limit itself may change). Not at every sync: Dovecot's count quota answered in 70 ms on
    a 100,000-message INBOX, 4 ms at 10,000 — most of a sync that found nothing new, paid
    at every beat round and every watcher notice (``bench/sync.py``)."""
    if changed:
        return True
    read_at = Mailbox.objects.filter(pk=mailbox_id).values_list("quota_read_at", flat=True).first()
    return read_at is None or read_at < timezone.now() - QUOTA_MAX_AGE


def _quota_read(session: ImapSession) -> Quota | None:
    """The storage quota, for the folder pane: one command at a full sync that needs it
    (``_quota_due``); a server that answers it badly costs the pane its gauge, never the sync."""
    try:
        return quota_get(session)
    except ImapCommandError as exc:
        logger.info("quota not read: %s", exc)
        return None


def _sync_failed(mailbox: Mailbox, kind: str, detail: str) -> None:
    """Record a failed sync for the folder pane, and when to try again (backing off)."""
    failures = mailbox.sync_failures + 1
    wait = backoff_seconds(failures=failures, cap=settings.MSSANTE_SYNC_MAX_BACKOFF)
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            sync_running_since=None, sync_failures=failures, last_sync_error=detail[:500],
            last_sync_error_kind=kind, last_sync_error_at=timezone.now(),
            next_sync_after=timezone.now() + dt.timedelta(seconds=wait))
    except DatabaseError:  # the database itself is what failed: the log line is all we have
        logger.exception("could not record the failed sync of %s", mailbox.address)
        return
    mailbox.sync_failures = failures


@contextmanager
def mailbox_sync_lock(*, mailbox_id: int, timeout: int = SYNC_LOCK_SECONDS) -> Iterator[bool]:
    """One sync per mailbox at a time, across every worker: yields False when held. With
    Redis unreachable the sync goes on unlocked (logged): two syncs at once are safe (rows
    and folders are written idempotently), a page failing is not."""
    with shared_lock(name=f"mssweb:sync:{mailbox_id}", timeout=timeout) as acquired:
        yield acquired


def mailbox_sync_in_worker(*, mailbox_id: int, session_key: str | None = None,
                           only: Sequence[str] | None = None) -> str:
    """What ``mailbox_sync_task`` does: lock, token from the user's session, sync.

    Returns "done", "skipped" (another sync holds the lock), "no-session" (a PSC mailbox
    whose user's PSC session is over: the worker stops for it), "auth-refused",
    "index-failed" (our side, time limit included) or "gone". Server errors propagate as
    MailServerUnavailable so that the task retries with backoff.
    """
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return "gone"
    if mailbox.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2 and not session_key:
        return "no-session"
    try:
        report = mailbox_sync(access=mail_access_for_session_key(mailbox=mailbox, session_key=session_key),
                              only=only)
    except SyncInProgress:
        # The sync under way may have started before what this one was asked for (a second
        # message on IDLE while the first one's sync runs): one more after it, not never.
        _sync_again_ask(mailbox_id=mailbox_id, session_key=session_key, only=only)
        return "skipped"
    except SessionExpired:
        logger.info("PSC session over: background sync of %s stops", mailbox.address)
        Mailbox.objects.filter(pk=mailbox_id).update(sync_running_since=None)
        return "no-session"
    except MailAuthError:
        return "auth-refused"
    except IndexUnavailable:  # logged and recorded; beat tries again after the backoff
        return "index-failed"
    if mailbox.bodies_indexing or any(f.added for f in report.folders):
        mailbox_bodies_index_enqueue(mailbox=mailbox, session_key=session_key)
    _sync_again_queue(mailbox_id=mailbox_id)
    return "done"


SYNC_AGAIN_KEY = "mssweb:sync-again:{}"  # mailbox id → {folders ("*": all): session reference}


def _sync_again_ask(*, mailbox_id: int, session_key: str | None, only: Sequence[str] | None) -> None:
    """Note a sync skipped because another held the mailbox; the holder queues it once done.
    Asked, then the lock looked at again: a holder that finished meanwhile has already
    looked at the notes, so the note is queued here."""
    key = SYNC_AGAIN_KEY.format(mailbox_id)
    try:
        client = redis_client()
        pipe = client.pipeline()
        pipe.hset(key, ",".join(sorted(only)) if only else "*", session_reference(session_key))
        pipe.expire(key, SYNC_LOCK_SECONDS)
        pipe.execute()
        if not client.exists(f"mssweb:sync:{mailbox_id}"):
            _sync_again_queue(mailbox_id=mailbox_id)
    except redis.RedisError as exc:
        logger.warning("Redis unavailable (%s): the sync skipped for mailbox %s waits for beat",
                       exc, mailbox_id)


def _sync_again_queue(*, mailbox_id: int) -> None:
    """Queue the syncs skipped while this mailbox's lock was held (at most one per folder set)."""
    key = SYNC_AGAIN_KEY.format(mailbox_id)
    try:
        pipe = redis_client().pipeline()
        pipe.hgetall(key)
        pipe.delete(key)
        asked = pipe.execute()[0]
    except redis.RedisError as exc:
        logger.warning("Redis unavailable (%s): skipped syncs of mailbox %s wait for beat", exc, mailbox_id)
        return
    for folders, reference in asked.items():
        names = folders.decode()
        task_enqueue(name=SYNC_TASK, args=[mailbox_id, reference.decode() or None,
                                           None if names == "*" else names.split(",")])


def mailbox_sync_candidates(*, now: dt.datetime | None = None) -> list[tuple[int, str | None]]:
    """(mailbox id, session key) pairs beat should sync now: mailboxes of users with a live
    PSC session, and always certificate mailboxes; none still in backoff."""
    now = now or timezone.now()
    ready = Q(next_sync_after__isnull=True) | Q(next_sync_after__lte=now)
    chosen: dict[int, str | None] = {
        pk: None for pk in Mailbox.objects.filter(
            ready, auth_mode=Mailbox.AuthMode.CLIENT_CERTIFICATE).values_list("pk", flat=True)}
    for pk, key in mailboxes_with_live_session(now=now, where=ready).items():
        chosen.setdefault(pk, key)
    return list(chosen.items())


def mailbox_sync_offset(*, mailbox_id: int) -> float:
    """Seconds after beat's round at which this mailbox's periodic sync starts: spread evenly
    over 90 % of the period (a multiplicative hash of the id, the same every round), so that
    each mailbox keeps its rhythm and the workers never receive every mailbox at once."""
    fraction = (mailbox_id * 2654435761 % 2**32) / 2**32
    return round(fraction * 0.9 * settings.MSSANTE_SYNC_INTERVAL, 2)


def mailboxes_with_live_session(*, now: dt.datetime | None = None,
                                where: Q | None = None) -> dict[int, str]:
    """{mailbox id: session key} for the PSC mailboxes whose owner or a delegate is signed in
    (a stored session, not expired, its PSC session still active, the user active): what
    beat syncs and the new-mail watcher holds IDLE on. One session per mailbox, the one
    that lasts longest. Read from ``LiveSession`` (issue 28), through its index: no session
    row is decoded."""
    now = now or timezone.now()
    users: dict[int, str] = {}
    for user_id, key in (LiveSession.objects.filter(psc_active=True, expires_at__gt=now, user__is_active=True)
                         .order_by("-expires_at").values_list("user_id", "session_key")):
        users.setdefault(user_id, key)
    chosen: dict[int, str] = {}
    if users:
        psc = Mailbox.objects.filter(where or Q(), auth_mode=Mailbox.AuthMode.PSC_XOAUTH2)
        for pk, owner in psc.filter(owner_id__in=users).values_list("pk", "owner_id"):
            chosen.setdefault(pk, users[owner])
        delegated = delegations_in_force(today=timezone.localdate(now)).filter(
            user_id__in=users, mailbox__in=psc).values_list("mailbox_id", "user_id")
        for pk, delegate in delegated:
            chosen.setdefault(pk, users[delegate])
    return chosen


def mailbox_sync_enqueue(*, mailbox: Mailbox, session_key: str | None,
                         only: Sequence[str] | None = None, debounce: float = 10,
                         despite_backoff: bool = False) -> bool:
    """Ask a worker for a sync (after the current transaction commits), at most once per
    ``debounce`` seconds per mailbox and folder set, and not while the mailbox backs off
    after failures (the folder pane's "Réessayer" syncs at once instead) unless
    ``despite_backoff`` (a new sign-in: a new token is worth a try, whatever failed before).

    A request inside the window is not dropped: one more sync is queued for the window's
    end (trailing edge), because the sync already queued may have started before what this
    request reports (a second message filed in Sent, new mail on IDLE) and would miss it.
    Returns whether a task was queued."""
    backing_off = mailbox.next_sync_after is not None and mailbox.next_sync_after > timezone.now()
    if backing_off and not despite_backoff:
        return False
    countdown: float | None = None
    try:
        client = redis_client()
        key = f"mssweb:sync-asked:{mailbox.pk}:{','.join(sorted(only or []))}"
        window = max(1, int(debounce * 1000))  # milliseconds
        if not client.set(key, 1, nx=True, px=window):
            if not client.set(f"{key}:trailing", 1, nx=True, px=window):
                return False  # the trailing sync already queued will see this change too
            countdown = float(debounce)
    except redis.RedisError:
        logger.warning("Redis unavailable: background sync of %s not queued", mailbox.address)
        return False
    folders = list(only) if only else None
    task_enqueue(name=SYNC_TASK, args=[mailbox.pk, session_reference(session_key), folders],
                 countdown=countdown)
    return True
