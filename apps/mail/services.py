"""Writes of the mail engine: opening an authenticated session, syncing, user actions.

Every function that talks to the operator takes a ``token_provider``: a callable giving a
PSC access token, ``token_provider(True)`` forcing a fresh one. The web passes one bound to
the request's session, workers one bound to a stored session key; certificate mailboxes
need none. An XOAUTH2 refusal is retried once with a fresh token, as MSSanté clients must.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import IndexUnavailable, MailAuthError, MailServerUnavailable

from .imap import ImapAuthError, ImapError, ImapUnavailable, imap_connect
from .imap.session import ImapSession
from .mime.receipts import Report, parse_report
from .models import Folder, Mailbox, MessageSummary, OutboxMessage
from .selectors import mailbox_imap_credentials, mailbox_imap_endpoint
from .smtp import SmtpEndpoint, SmtpRefused, SmtpUnavailable, smtp_submit
from .sync import IndexWriterFailed, SyncReport, mailbox_sync

logger = logging.getLogger(__name__)

TokenProvider = Callable[[bool], str]


def mailbox_session_open(*, mailbox: Mailbox, token_provider: TokenProvider | None) -> ImapSession:
    endpoint = mailbox_imap_endpoint(mailbox=mailbox)
    uses_token = mailbox.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2
    if uses_token and token_provider is None:
        raise MailAuthError(f"{mailbox.address}: no PSC token available")
    for attempt in (0, 1):
        token = token_provider(attempt == 1) if uses_token and token_provider else None
        credentials = mailbox_imap_credentials(mailbox=mailbox, access_token=token)
        try:
            return ImapSession(imap_connect(endpoint, credentials))
        except ImapAuthError as exc:
            if attempt == 0 and uses_token:
                logger.info("IMAP refused the token for %s; retrying once with a fresh one",
                            mailbox.address)
                continue
            logger.warning("IMAP authentication refused for %s: %s", mailbox.address, exc)
            raise MailAuthError(str(exc)) from exc
        except ImapUnavailable as exc:
            logger.error("IMAP server unavailable for %s: %s", mailbox.address, exc)
            raise MailServerUnavailable(str(exc)) from exc
    raise AssertionError("unreachable")  # pragma: no cover


class SessionPool:
    """Authenticated IMAP sessions kept open per (mailbox, credential owner) inside one
    process, and at most ``limit`` open at once per key: Dovecot allows 10 connections per
    user and IP, and a worker must leave room for the user's other clients."""

    IDLE_CHECK_AFTER = 60.0  # seconds idle before a NOOP proves the connection alive
    MAX_IDLE = 300.0  # closed rather than reused after this long
    MAX_POOLED = 64  # idle sessions kept in all, the least recently used closed first

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._idle: dict[tuple[int, str], list[ImapSession]] = defaultdict(list)
        self._open: dict[tuple[int, str], int] = defaultdict(int)
        self._changed = threading.Condition()

    def acquire(self, key: tuple[int, str], factory: Callable[[], ImapSession],
                timeout: float = 30.0) -> ImapSession:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                while self._idle[key]:
                    session = self._idle[key].pop()
                    idle = time.monotonic() - session.last_used
                    if idle < self.MAX_IDLE and (idle < self.IDLE_CHECK_AFTER or _alive(session)):
                        return session
                    self._open[key] -= 1
                    session.close()
                if self._open[key] < self.limit:
                    self._open[key] += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    raise MailServerUnavailable(f"all {self.limit} IMAP connections of {key} busy")
        try:
            return factory()
        except BaseException:
            with self._changed:
                self._open[key] -= 1
                self._changed.notify()
            raise

    def release(self, key: tuple[int, str], session: ImapSession, broken: bool) -> None:
        with self._changed:
            if broken:
                self._open[key] -= 1
                session.close()
            else:
                session.last_used = time.monotonic()
                self._idle[key].append(session)
            self._sweep_locked()
            self._changed.notify()

    def _sweep_locked(self) -> None:
        """Close idle sessions nobody came back for (a mailbox no longer synced here, one
        deleted): past MAX_IDLE, or beyond MAX_POOLED in all, oldest first. Without this
        they would hold the user's Dovecot connection slots (10 per user and IP)."""
        now = time.monotonic()
        idle = sorted(((session.last_used, key, session) for key, sessions in self._idle.items()
                       for session in sessions), key=lambda item: item[0])
        excess = len(idle) - self.MAX_POOLED
        for number, (last_used, key, session) in enumerate(idle):
            if number < excess or now - last_used > self.MAX_IDLE:
                self._idle[key].remove(session)
                self._open[key] -= 1
                session.close()

    def clear(self) -> None:
        with self._changed:
            for key, sessions in self._idle.items():
                for session in sessions:
                    session.close()
                self._open[key] -= len(sessions)
            self._idle.clear()


def _alive(session: ImapSession) -> bool:
    try:
        session.noop()
    except ImapError:
        return False
    return True


POOL = SessionPool(settings.MSSANTE_IMAP_MAX_CONNECTIONS)


@contextmanager
def mailbox_session(*, mailbox: Mailbox, token_provider: TokenProvider | None,
                    pool_key: str | None = None) -> Iterator[ImapSession]:
    """An authenticated session; with ``pool_key`` (who the credentials belong to) it comes
    from and goes back to the process's pool instead of a new login each time."""
    def factory() -> ImapSession:
        return mailbox_session_open(mailbox=mailbox, token_provider=token_provider)

    endpoint = mailbox_imap_endpoint(mailbox=mailbox)
    # The endpoint and mode are part of the key: a mailbox re-pointed by its administrator
    # must not keep talking to the old server through a pooled connection.
    key = (mailbox.pk, f"{pool_key}|{endpoint.host}:{endpoint.port}|{mailbox.auth_mode}")
    session = POOL.acquire(key, factory) if pool_key else factory()
    broken = False
    try:
        yield session
    except ImapError as exc:
        broken = True
        logger.error("IMAP error on %s: %s", mailbox.address, exc)
        raise MailServerUnavailable(str(exc)) from exc
    except BaseException:
        broken = True
        raise
    finally:
        if pool_key:
            POOL.release(key, session, broken)
        else:
            session.close()


def _backoff(failures: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(failures - 1, 0), settings.MSSANTE_SYNC_MAX_BACKOFF))


def mailbox_sync_run(*, mailbox: Mailbox, token_provider: TokenProvider | None,
                     only: Sequence[str] | None = None, initial_limit: int | None = None,
                     pool_key: str | None = None) -> SyncReport:
    """Sync and record the outcome on the mailbox (what the folder pane shows)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(sync_running_since=timezone.now())
    try:
        with mailbox_session(mailbox=mailbox, token_provider=token_provider,
                             pool_key=pool_key) as session:
            start = session.round_trips.count
            report = mailbox_sync(mailbox=mailbox, session=session, only=only,
                                  initial_limit=initial_limit, keep_watching=pool_key is not None)
            report.round_trips = session.round_trips.count - start
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
    except BaseException:
        Mailbox.objects.filter(pk=mailbox.pk).update(sync_running_since=None)
        raise
    Mailbox.objects.filter(pk=mailbox.pk).update(
        sync_running_since=None, last_sync_at=timezone.now(), sync_failures=0,
        last_sync_error="", last_sync_error_kind="", next_sync_after=None)
    return report


def _sync_failed(mailbox: Mailbox, kind: str, detail: str) -> None:
    """Record a failed sync for the folder pane, and when to try again (backing off)."""
    failures = mailbox.sync_failures + 1
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            sync_running_since=None, sync_failures=failures, last_sync_error=detail[:500],
            last_sync_error_kind=kind, last_sync_error_at=timezone.now(),
            next_sync_after=timezone.now() + _backoff(failures))
    except DatabaseError:  # the database itself is what failed: the log line is all we have
        logger.exception("could not record the failed sync of %s", mailbox.address)
        return
    mailbox.sync_failures = failures


# ------------------------------------------------------------------ locking

@contextmanager
def mailbox_sync_lock(*, mailbox_id: int, timeout: int = 900) -> Iterator[bool]:
    """One sync per mailbox at a time, across every worker: yields False when held."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    lock = client.lock(f"mssweb:sync:{mailbox_id}", timeout=timeout, blocking=False)
    acquired = lock.acquire(blocking=False)
    try:
        yield bool(acquired)
    finally:
        if acquired:
            try:
                lock.release()
            except redis.exceptions.LockError:
                logger.warning("sync lock of mailbox %s expired before release", mailbox_id)
        client.close()


# ------------------------------------------------------------------ user actions

FLAG_COLUMNS = {"seen": b"\\Seen", "flagged": b"\\Flagged", "answered": b"\\Answered"}


def message_flag_set(*, folder: Folder, uids: Sequence[int], flag: str, value: bool,
                     token_provider: TokenProvider | None, pool_key: str | None = None) -> int:
    """Set or clear a flag on the server, then in the index at once (the next sync agrees)."""
    if flag not in FLAG_COLUMNS:
        raise ValueError(flag)
    with mailbox_session(mailbox=folder.mailbox, token_provider=token_provider,
                         pool_key=pool_key) as session:
        session.set_flag(folder.name, uids, FLAG_COLUMNS[flag], value)
    with transaction.atomic():
        changed = MessageSummary.objects.filter(folder=folder, uid__in=uids).update(**{flag: value})
        _folder_counts_refresh(folder)
    return changed


def _folder_counts_refresh(folder: Folder) -> None:
    messages = MessageSummary.objects.filter(folder=folder)
    Folder.objects.filter(pk=folder.pk).update(total=messages.count(),
                                               unread=messages.filter(seen=False).count())


def message_move(*, folder: Folder, uids: Sequence[int], destination: Folder,
                 token_provider: TokenProvider | None) -> int:
    """MOVE on the server. The rows follow the messages into the destination at once when
    the server gives their new UIDs (COPYUID) for the destination's UIDVALIDITY (or the
    destination was never synced); otherwise they leave the source and come back with the
    destination's next sync."""
    if folder.mailbox_id != destination.mailbox_id:
        raise ValueError("moves stay within one mailbox")
    with mailbox_session(mailbox=folder.mailbox, token_provider=token_provider) as session:
        moved = session.move(folder.name, uids, destination.name)
    with transaction.atomic():
        rows = MessageSummary.objects.filter(folder=folder, uid__in=uids)
        count = rows.count()
        if moved is not None and destination.uidvalidity is None:
            # Never synced: its first sync will fetch all but what is already indexed.
            destination.uidvalidity = moved.uidvalidity
            Folder.objects.filter(pk=destination.pk, uidvalidity__isnull=True).update(
                uidvalidity=moved.uidvalidity)
        if moved is not None and destination.uidvalidity == moved.uidvalidity:
            new_uids = dict(moved.pairs)
            MessageSummary.objects.filter(folder=destination, uid__in=new_uids.values()).delete()
            for row in rows.only("pk", "uid"):
                if row.uid in new_uids:
                    MessageSummary.objects.filter(pk=row.pk).update(folder=destination,
                                                                    uid=new_uids[row.uid])
            _folder_counts_refresh(destination)
        MessageSummary.objects.filter(folder=folder, uid__in=uids).delete()
        _folder_counts_refresh(folder)
    return count


def message_expunge(*, folder: Folder, uids: Sequence[int],
                    token_provider: TokenProvider | None) -> int:
    with mailbox_session(mailbox=folder.mailbox, token_provider=token_provider) as session:
        session.expunge(folder.name, uids)
    with transaction.atomic():
        removed, _ = MessageSummary.objects.filter(folder=folder, uid__in=uids).delete()
        _folder_counts_refresh(folder)
    return removed



# ------------------------------------------------------------------ background sync

def mailbox_sync_background(*, mailbox_id: int, session_key: str | None = None,
                            only: Sequence[str] | None = None) -> str:
    """What ``mailbox_sync_task`` does: lock, token from the user's session, sync.

    Returns "done", "skipped" (another sync holds the lock), "no-session" (a PSC mailbox
    whose user's PSC session is over: the worker stops for it) or "gone". Server errors
    propagate as MailServerUnavailable so that the task retries with backoff.
    """
    from apps.accounts.services import psc_access_token_for_session_key
    from apps.core.errors import SessionExpired

    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return "gone"
    provider: TokenProvider | None = None
    if mailbox.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2:
        if not session_key:
            return "no-session"
        key = session_key

        def provider(force: bool) -> str:
            return psc_access_token_for_session_key(session_key=key, force_refresh=force)

    with mailbox_sync_lock(mailbox_id=mailbox_id) as acquired:
        if not acquired:
            return "skipped"
        try:
            mailbox_sync_run(mailbox=mailbox, token_provider=provider, only=only,
                             pool_key=f"session:{session_key}" if session_key else "certificate")
        except SessionExpired:
            logger.info("PSC session over: background sync of %s stops", mailbox.address)
            Mailbox.objects.filter(pk=mailbox_id).update(sync_running_since=None)
            return "no-session"
        except MailAuthError:
            return "auth-refused"
        except IndexUnavailable:  # logged and recorded; beat tries again after the backoff
            return "index-failed"
    return "done"


def mailbox_sync_candidates(*, now: dt.datetime | None = None) -> list[tuple[int, str | None]]:
    """(mailbox id, session key) pairs beat should sync now: mailboxes of users with a live
    PSC session, and always certificate mailboxes; none still in backoff."""
    from django.contrib.sessions.models import Session
    from django.db.models import Q

    from apps.accounts.session_keys import SESSION_REFRESH_TOKEN

    now = now or timezone.now()
    ready = Q(next_sync_after__isnull=True) | Q(next_sync_after__lte=now)
    chosen: dict[int, str | None] = {
        pk: None for pk in Mailbox.objects.filter(
            ready, auth_mode=Mailbox.AuthMode.CLIENT_CERTIFICATE).values_list("pk", flat=True)}
    users: dict[int, str] = {}
    for session in Session.objects.filter(expire_date__gt=now).iterator():
        data = session.get_decoded()
        user_id = data.get("_auth_user_id")
        if user_id and data.get(SESSION_REFRESH_TOKEN):
            users.setdefault(int(user_id), session.session_key)
    if users:
        psc = Mailbox.objects.filter(ready, auth_mode=Mailbox.AuthMode.PSC_XOAUTH2)
        for pk, owner in psc.filter(owner_id__in=users).values_list("pk", "owner_id"):
            chosen.setdefault(pk, users[owner])
        for pk, delegate in psc.filter(delegates__in=users).values_list("pk", "delegates"):
            chosen.setdefault(pk, users[delegate])
    return list(chosen.items())


def mailbox_sync_enqueue(*, mailbox: Mailbox, session_key: str | None,
                         only: Sequence[str] | None = None, debounce: int = 10,
                         despite_backoff: bool = False) -> bool:
    """Ask a worker for a sync (after the current transaction commits), at most once per
    ``debounce`` seconds per mailbox and folder set, and not while the mailbox backs off
    after failures (the folder pane's "Réessayer" syncs at once instead) unless
    ``despite_backoff`` (a new sign-in: a new token is worth a try, whatever failed before).
    Returns whether a task was queued."""
    from .tasks import mailbox_sync_task

    backing_off = mailbox.next_sync_after is not None and mailbox.next_sync_after > timezone.now()
    if backing_off and not despite_backoff:
        return False
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        key = f"mssweb:sync-asked:{mailbox.pk}:{','.join(sorted(only or []))}"
        if not client.set(key, 1, nx=True, ex=debounce):
            return False
    except redis.RedisError:
        logger.warning("Redis unavailable: background sync of %s not queued", mailbox.address)
        return False
    finally:
        client.close()
    folders = list(only) if only else None
    transaction.on_commit(lambda: mailbox_sync_task.delay(mailbox.pk, session_key, folders))
    return True


def folder_create(*, mailbox: Mailbox, name: str, token_provider: TokenProvider | None) -> Folder:
    with mailbox_session(mailbox=mailbox, token_provider=token_provider) as session:
        session.create_folder(name)
    return Folder.objects.create(mailbox=mailbox, name=name, delimiter="/", selectable=True)


def folder_rename(*, folder: Folder, name: str, token_provider: TokenProvider | None) -> None:
    if folder.role:
        raise ValueError("special folders keep their name")
    with mailbox_session(mailbox=folder.mailbox, token_provider=token_provider) as session:
        session.rename_folder(folder.name, name)
    Folder.objects.filter(pk=folder.pk).update(name=name)


def folder_delete(*, folder: Folder, token_provider: TokenProvider | None) -> None:
    if folder.role:
        raise ValueError("special folders cannot be deleted")
    with mailbox_session(mailbox=folder.mailbox, token_provider=token_provider) as session:
        session.delete_folder(folder.name)
    folder.delete()


def folder_empty(*, folder: Folder, token_provider: TokenProvider | None) -> int:
    """Empty the Trash or Junk for good."""
    if folder.role not in (Folder.Role.TRASH, Folder.Role.JUNK):
        raise ValueError("only the Trash and Junk are emptied")
    with mailbox_session(mailbox=folder.mailbox, token_provider=token_provider) as session:
        session.examine(folder.name)
        uids = session.uids()
        if uids:
            session.expunge(folder.name, uids)
    with transaction.atomic():
        removed, _ = MessageSummary.objects.filter(folder=folder).delete()
        _folder_counts_refresh(folder)
    return removed


def draft_save(*, mailbox: Mailbox, message: EmailMessage, replaces: int | None,
               token_provider: TokenProvider | None, pool_key: str | None = None) -> int | None:
    """Store the draft in the IMAP Drafts folder (\\Draft), replacing the previous version.
    Returns its new UID (UIDPLUS) so that the next save or the sending can remove it."""
    drafts = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.DRAFTS).first()
    name = drafts.name if drafts else "Drafts"
    with mailbox_session(mailbox=mailbox, token_provider=token_provider, pool_key=pool_key) as session:
        uid = session.append(name, message.as_bytes(), flags=[b"\\Draft", b"\\Seen"])
        if replaces:
            session.expunge(name, [replaces])
        if drafts:  # the Drafts list shows the new version at once (an incremental sync)
            try:
                mailbox_sync(mailbox=mailbox, session=session, only=[name])
            except ImapUnavailable as exc:
                logger.info("Drafts of %s not refreshed after saving: %s", mailbox.address, exc)
    if drafts and replaces:
        MessageSummary.objects.filter(folder=drafts, uid=replaces).delete()
    return uid


def draft_discard(*, mailbox: Mailbox, uid: int, token_provider: TokenProvider | None,
                  pool_key: str | None = None) -> None:
    drafts = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.DRAFTS).first()
    name = drafts.name if drafts else "Drafts"
    with mailbox_session(mailbox=mailbox, token_provider=token_provider, pool_key=pool_key) as session:
        session.expunge(name, [uid])
    if drafts:
        MessageSummary.objects.filter(folder=drafts, uid=uid).delete()
        _folder_counts_refresh(drafts)


# ------------------------------------------------------------------ sending

def _smtp_endpoint(mailbox: Mailbox) -> SmtpEndpoint:
    return SmtpEndpoint(host=mailbox.smtp_host or settings.MSSANTE_SMTP_HOST,
                        port=mailbox.smtp_port or settings.MSSANTE_SMTP_PORT,
                        security=settings.MSSANTE_SMTP_SECURITY,
                        ca_file=settings.MSSANTE_TLS_CA_FILE or None)


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes


def message_build(*, mailbox: Mailbox, sender_name: str, to: Sequence[str], subject: str,
                  body: str, in_reply_to: str = "", references: str = "",
                  files: Sequence[OutgoingFile] = (), html: str = "",
                  read_receipt: bool = False) -> EmailMessage:
    """A message with the MSSanté headers every message carries: plain text, or ``html``
    (already sanitised) with ``body`` as its text alternative; a read receipt asked of the
    recipients' software when ``read_receipt`` (RFC 8098: they may decline)."""
    message = EmailMessage()
    message["From"] = formataddr((sender_name, mailbox.address)) if sender_name else mailbox.address
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=mailbox.address.split("@")[1])
    message["X-MSS-NIL"] = settings.MSSANTE_NIL
    if in_reply_to:  # threading (RFC 5322 §3.6.4): the parent, then the whole chain
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    if read_receipt:
        message["Disposition-Notification-To"] = mailbox.address
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for file in files:
        if file.content_type == "message/rfc822":
            # A forwarded message stays a message (RFC 2046: 7bit/8bit, never base64).
            inner = email.message_from_bytes(file.data, policy=email.policy.default)
            message.add_attachment(inner, filename=file.filename)
            continue
        maintype, _, subtype = (file.content_type or "application/octet-stream").partition("/")
        message.add_attachment(file.data, maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=file.filename)
    return message


# ------------------------------------------------------------------ receipts

REPORT_WINDOW = dt.timedelta(days=1)  # a report is never older than what it reports on


def message_reports(*, mailbox: Mailbox, summary: MessageSummary, token_provider: TokenProvider | None,
                    pool_key: str | None = None, limit: int = 30) -> list[Report]:
    """The read receipts and delivery reports received about ``summary`` (a message sent
    from this mailbox). Candidates are the index rows the sync marked as reports: those
    that answer it (In-Reply-To, as read receipts usually do), then those that name no
    message, oldest first since it was sent (delivery reports); reports answering another
    message are not even fetched. Each is fetched and parsed once (then cached), and kept
    if it names this message."""
    if not summary.message_id:
        return []
    reports_here = MessageSummary.objects.filter(folder__mailbox=mailbox, is_report=True).exclude(
        folder__role__in=[Folder.Role.SENT, Folder.Role.DRAFTS]).select_related("folder")
    answering = list(reports_here.filter(in_reply_to=summary.message_id.strip()).order_by("date")[:limit])
    candidates = answering + list(reports_here.filter(
        in_reply_to="",
        date__gte=(summary.date or dt.datetime.min.replace(tzinfo=dt.UTC)) - REPORT_WINDOW)
        .order_by("date")[:max(0, limit - len(answering))])
    reports: list[Report] = []
    missing: list[MessageSummary] = []
    for row in candidates:
        cached = cache.get(_report_key(row))
        if cached is None:
            missing.append(row)
        elif cached:
            reports.append(cached)
    if missing:
        with mailbox_session(mailbox=mailbox, token_provider=token_provider, pool_key=pool_key) as session:
            for row in missing:
                raw = session.fetch_raw(row.folder.name, row.uid, limit=2 * 1024 * 1024)
                report = parse_report(raw) if raw else None
                cache.set(_report_key(row), report or False, 7 * 24 * 3600)
                if report:
                    reports.append(report)
    wanted = summary.message_id.strip()
    return [r for r in reports if r.original_message_id.strip() == wanted]


def _report_key(row: MessageSummary) -> str:
    return f"mssweb:report:{row.folder_id}:{row.folder.uidvalidity}:{row.uid}"


def message_keyword_set(*, folder: Folder, uid: int, keyword: str,
                        token_provider: TokenProvider | None, pool_key: str | None = None) -> None:
    """A keyword ($MDNSent...) on the server and in the index."""
    with mailbox_session(mailbox=folder.mailbox, token_provider=token_provider,
                         pool_key=pool_key) as session:
        session.set_flag(folder.name, [uid], keyword.encode(), True)
    row = MessageSummary.objects.filter(folder=folder, uid=uid).first()
    if row is not None and keyword not in row.keywords.split():
        row.keywords = f"{row.keywords} {keyword}".strip()[:500]
        row.save(update_fields=["keywords"])


# ------------------------------------------------------------------ outbox

OUTBOX_MAX_ATTEMPTS = 8


def outbox_enqueue(*, mailbox: Mailbox, user: Any, message: EmailMessage, recipients: Sequence[str],
                   session_key: str | None, dsn: bool = False) -> OutboxMessage:
    """Store the message, then ask a worker to send it once the row is committed."""
    from .tasks import outbox_send_task

    outgoing = OutboxMessage.objects.create(
        mailbox=mailbox, user=user, message_id=str(message["Message-ID"]),
        subject=str(message["Subject"] or "")[:500], recipients=list(recipients),
        raw=message.as_bytes(), session_key=session_key or "", dsn=dsn)
    transaction.on_commit(lambda: outbox_send_task.delay(outgoing.pk))
    return outgoing


def _token_provider_for(outgoing: OutboxMessage) -> TokenProvider | None:
    if outgoing.mailbox.auth_mode != Mailbox.AuthMode.PSC_XOAUTH2:
        return None
    from apps.accounts.services import psc_access_token_for_session_key

    key = outgoing.session_key

    def provider(force: bool) -> str:
        return psc_access_token_for_session_key(session_key=key, force_refresh=force)

    return provider


def outbox_process(*, outbox_id: int) -> str:
    """What the worker does for one outgoing message. Returns its status afterwards.

    SMTP unavailable → stays pending with a later next_attempt_at (the task retries);
    refused (auth, recipient) or PSC session over → failed, with the reason the user sees.
    Acceptance by SMTP is committed at once, before the Sent copy: a crash after that
    point finishes the job on the next run without sending again."""
    from apps.core.errors import SessionExpired

    with transaction.atomic():
        outgoing = (OutboxMessage.objects.select_for_update().select_related("mailbox")
                    .filter(pk=outbox_id).first())
        if outgoing is None or outgoing.status in (OutboxMessage.Status.SENT,
                                                   OutboxMessage.Status.FAILED):
            return outgoing.status if outgoing else "gone"
        outgoing.status = OutboxMessage.Status.SENDING
        outgoing.attempts += 1
        outgoing.save(update_fields=["status", "attempts"])
    provider = _token_provider_for(outgoing)
    data = bytes(outgoing.raw)
    try:
        if outgoing.smtp_accepted_at is None:
            _submit(outgoing, data, provider)
            OutboxMessage.objects.filter(pk=outgoing.pk).update(smtp_accepted_at=timezone.now())
        _file_in_sent(outgoing, data, provider)
    except MailServerUnavailable as exc:
        failed = outgoing.attempts >= OUTBOX_MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=outgoing.pk).update(
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            last_error=exc.user_message[:500],
            next_attempt_at=timezone.now() + _backoff(outgoing.attempts))
        raise
    except (MailAuthError, SessionExpired) as exc:
        OutboxMessage.objects.filter(pk=outgoing.pk).update(
            status=OutboxMessage.Status.FAILED, last_error=exc.user_message[:500])
        logger.warning("outgoing message %s failed: %s", outgoing.pk, exc.detail)
        return OutboxMessage.Status.FAILED
    OutboxMessage.objects.filter(pk=outgoing.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), raw=b"", last_error="")
    return OutboxMessage.Status.SENT


def _submit(outgoing: OutboxMessage, data: bytes, provider: TokenProvider | None) -> None:
    mailbox = outgoing.mailbox
    uses_token = mailbox.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2
    for attempt in (0, 1):
        token = provider(attempt == 1) if uses_token and provider else None
        credentials = mailbox_imap_credentials(mailbox=mailbox, access_token=token)
        try:
            smtp_submit(_smtp_endpoint(mailbox), credentials, mailbox.address,
                        outgoing.recipients, data,
                        dsn_envelope_id=outgoing.message_id if outgoing.dsn else "")
            return
        except SmtpUnavailable as exc:
            logger.error("SMTP unavailable for %s: %s", mailbox.address, exc)
            raise MailServerUnavailable(str(exc)) from exc
        except SmtpRefused as exc:
            if attempt == 0 and uses_token and "authentication" in str(exc):
                continue
            raise MailAuthError(str(exc), user_message=str(
                _("The operator's server refused this message: %(reason)s") % {"reason": exc})) from exc


def _file_in_sent(outgoing: OutboxMessage, data: bytes, provider: TokenProvider | None) -> None:
    """A copy in Sent, once: after a crash the copy may already be there."""
    mailbox = outgoing.mailbox
    sent = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.SENT).first()
    name = sent.name if sent else "Sent"
    try:
        with mailbox_session(mailbox=mailbox, token_provider=provider) as session:
            session.examine(name)
            if not session.search_header(name, "Message-ID", outgoing.message_id):
                session.append(name, data, flags=[b"\\Seen"])
    except (MailServerUnavailable, MailAuthError) as exc:
        # Already sent: a missing copy in Sent must not make us send again.
        logger.error("message %s sent but not filed in Sent: %s", outgoing.message_id, exc)


def outbox_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    stale = now - dt.timedelta(minutes=10)
    return list(OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=OutboxMessage.Status.PENDING, next_attempt_at__isnull=True, created_at__lte=stale)
        | Q(status=OutboxMessage.Status.SENDING, created_at__lte=stale)).values_list("pk", flat=True))


def outbox_retry(*, outgoing: OutboxMessage) -> None:
    """The user's "Réessayer": back to pending, and a worker asked at once."""
    from .tasks import outbox_send_task

    if outgoing.status == OutboxMessage.Status.FAILED and outgoing.raw:
        OutboxMessage.objects.filter(pk=outgoing.pk).update(
            status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=None)
        transaction.on_commit(lambda: outbox_send_task.delay(outgoing.pk))
