"""New mail in seconds: IMAP IDLE (RFC 2177) on the INBOX of every mailbox someone is
signed in to, held by one long-running process (``manage.py mail_watch``), many mailboxes
per process and one thread for all of them (a selector over their sockets).

When the server reports a change, a worker is asked for the incremental sync of that INBOX
(``mailbox_sync_enqueue``); the open list then shows the new row at its next poll. Beat's
periodic sync stays the safety net: a watcher down, restarting or refused only brings
back the old delay, never a loss.

Who is watched is read again every ``refresh_seconds``: a mailbox whose PSC session ends
(signed out, refresh refused, expired) has its connection closed at the next refresh, as
the MSSanté reference asks; a new sign-in is watched within that time. Several watchers
share the mailboxes (``shards``: rendezvous hashing over the live ones, each mailbox held
under a claim), and take over a dead one's share within 30 s. An IDLE is renewed
before the 29 minutes after which a server may drop it (RFC 2177 §3), and a connection
that fails is opened again after a backoff.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.db import close_old_connections

from apps.core.backoff import backoff_seconds
from apps.core.errors import ApplicationError
from mailproto.imap import ImapError
from mailproto.imap.idle import idle_begin, idle_end, idle_ready, session_fileno
from mailproto.imap.session import ImapSession

from ..models import Folder, Mailbox
from .access import mail_access_for_session_key, mailbox_session_open
from .shards import WatchShard
from .sync_runs import mailbox_sync_enqueue, mailboxes_with_live_session

logger = logging.getLogger(__name__)

Opener = Callable[[int, str], ImapSession]  # (mailbox id, session key) → logged-in session
Candidates = Callable[[], dict[int, str]]  # {mailbox id: session key} to watch now
OnChange = Callable[[int, str], None]  # the INBOX of (mailbox id, session key) changed


def _live_sessions() -> dict[int, str]:
    return mailboxes_with_live_session()


def _open_for_session(mailbox_id: int, session_key: str) -> ImapSession:
    """A connection of the watcher's own (not the pool's), with a token from the session."""
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    return mailbox_session_open(access=mail_access_for_session_key(
        mailbox=mailbox, session_key=session_key, pooled=False))


def _sync_inbox(mailbox_id: int, session_key: str) -> None:
    """Ask a worker for the incremental sync of the INBOX that changed."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return
    inbox = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.INBOX).values_list(
        "name", flat=True).first()
    # New mail on IDLE (issue 28): a trailing sync half a second after an earlier one at most,
    # not two seconds behind it.
    mailbox_sync_enqueue(mailbox=mailbox, session_key=session_key, only=[inbox or "INBOX"], debounce=0.5)


@dataclass
class Watched:
    session_key: str
    imap: ImapSession
    idle_since: float
    fileno: int


@dataclass
class InboxWatcher:
    """Holds IDLE on many INBOXes from one thread. ``candidates``, ``opener`` and
    ``on_change`` are the site's by default (live PSC sessions, a token from the stored
    session, a sync asked of a worker); the bench and tests give their own."""

    candidates: Candidates = _live_sessions
    opener: Opener = _open_for_session
    on_change: OnChange = _sync_inbox
    refresh_seconds: float = 5.0
    # Several watchers share the mailboxes through it (``manage.py mail_watch``); None
    # watches every candidate (the bench's single-process measures).
    shard: WatchShard | None = None
    reidle_seconds: float = 25 * 60.0  # under RFC 2177's 29 minutes
    folder: str = "INBOX"
    watched: dict[int, Watched] = field(default_factory=dict)
    failures: dict[int, tuple[int, float]] = field(default_factory=dict)  # id → (count, retry at)
    changes: int = 0
    open_parallel: int = 8  # logins under way at once during a pass
    # Seconds of logins per pass: the watched ones wait that long at most for their turn
    # while a dead watcher's share is taken over (the rest at the next step).
    open_budget: float = 1.0
    _backlog: bool = False
    _selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    _refreshed_at: float = float("-inf")
    _executor: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ membership
    def refresh(self) -> None:
        """Watch what should be watched now (this watcher's share of it, when it has a
        ``shard``), and stop what should not."""
        wanted = self.candidates()
        if self.shard is not None:
            if self.shard.lapsed() and self.watched:
                for mailbox_id in list(self.watched):
                    self._drop(mailbox_id, reason="claim lapsed (watcher stalled)")
            mine = self.shard.mine(wanted)
            wanted = {m: key for m, key in wanted.items() if m in mine}
        for mailbox_id in [m for m, w in self.watched.items() if wanted.get(m) != w.session_key]:
            self._drop(mailbox_id, reason="no live session" if mailbox_id not in wanted else "new session")
        now = time.monotonic()
        due = [(m, key) for m, key in wanted.items()
               if m not in self.watched and now >= self.failures.get(m, (0, 0.0))[1]]
        opened = 0
        for mailbox_id, session_key, outcome in self._open_many(due, budget=self.open_budget):
            opened += 1
            if isinstance(outcome, BaseException):
                count = self.failures.get(mailbox_id, (0, 0.0))[0] + 1
                retry_in = backoff_seconds(failures=count, cap=300)
                self.failures[mailbox_id] = (count, now + retry_in)
                logger.warning("new-mail watch of mailbox %s not started (%s: %s); next try in %s s",
                               mailbox_id, type(outcome).__name__, outcome, retry_in)
                continue
            self.failures.pop(mailbox_id, None)
            watched = Watched(session_key=session_key, imap=outcome, idle_since=time.monotonic(),
                              fileno=session_fileno(outcome))
            self.watched[mailbox_id] = watched
            self._selector.register(watched.fileno, selectors.EVENT_READ, mailbox_id)
            logger.info("new-mail watch of mailbox %s started", mailbox_id)
        # Logins left for the next pass: it comes at the next step, not in refresh_seconds.
        self._backlog = opened < len(due)
        self.failures = {m: f for m, f in self.failures.items() if m in wanted}
        if self.shard is not None:
            self.shard.settle(keep=set(wanted) | set(self.watched))
        self._refreshed_at = now

    def _open_one(self, mailbox_id: int, session_key: str) -> ImapSession:
        close_old_connections()  # a thread of the pool: its own database connection, kept fresh
        imap = self.opener(mailbox_id, session_key)
        try:
            idle_begin(imap, self.folder)
        except BaseException:
            imap.close()
            raise
        return imap

    def _open_many(self, due: list[tuple[int, str]], *, budget: float
                   ) -> Iterator[tuple[int, str, ImapSession | BaseException]]:
        """Log in and begin IDLE on ``due``, ``open_parallel`` at a time (a TLS login is
        mostly waiting: 1,000 mailboxes taken over from a dead watcher are watched again in
        seconds, not minutes), for at most ``budget`` seconds: the rest at the next pass, so
        that the watched ones are served and the claims renewed meanwhile."""
        if not due:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.open_parallel,
                                                thread_name_prefix="watch-open")
        deadline = time.monotonic() + budget
        waiting = iter(due)
        running: dict[Future[ImapSession], tuple[int, str]] = {}
        while True:
            while len(running) < self.open_parallel and time.monotonic() < deadline:
                item = next(waiting, None)
                if item is None:
                    break
                running[self._executor.submit(self._open_one, *item)] = item
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                mailbox_id, session_key = running.pop(future)
                error = future.exception()
                if error is not None and not isinstance(error, (ApplicationError, ImapError, OSError)):
                    raise error
                yield mailbox_id, session_key, error if error is not None else future.result()

    def _drop(self, mailbox_id: int, *, reason: str) -> None:
        # Closed and logged before it leaves ``watched``: whoever sees it gone may rely on both.
        watched = self.watched.get(mailbox_id)
        if watched is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(watched.fileno)
        try:
            watched.imap.close()
        finally:
            logger.info("new-mail watch of mailbox %s ended: %s", mailbox_id, reason)
            del self.watched[mailbox_id]

    def close(self) -> None:
        for mailbox_id in list(self.watched):
            self._drop(mailbox_id, reason="watcher stopping")
        self._selector.close()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self.shard is not None:
            self.shard.leave()

    # ------------------------------------------------------------------ the loop
    def step(self, timeout: float = 1.0) -> int:
        """Wait up to ``timeout`` for any watched INBOX to change; handle what changed, renew
        old IDLEs, refresh the membership when due. Returns how many INBOXes changed."""
        shard = self.shard
        lapsing = shard is not None and bool(self.watched) and shard.lapsed(margin=shard.ttl / 4)
        since = time.monotonic() - self._refreshed_at
        waiting = shard is not None and shard.waiting_for > 0 and since >= min(1.0, self.refresh_seconds)
        if lapsing or waiting or self._backlog or since >= self.refresh_seconds:
            self.refresh()
        # Bytes already read or decrypted do not wake a selector: looked at first.
        ready = [m for m, w in self.watched.items() if idle_ready(w.imap)]
        if not ready and self.watched:
            ready = [key.data for key, _ in self._selector.select(timeout)]
        elif not self.watched:
            time.sleep(min(timeout, max(0.0, self.refresh_seconds - (time.monotonic() - self._refreshed_at))))
        now = time.monotonic()
        ready += [m for m, w in self.watched.items() if now - w.idle_since >= self.reidle_seconds
                  and m not in ready]
        changed = 0
        for mailbox_id in ready:
            changed += self._renew(mailbox_id)
        return changed

    def _renew(self, mailbox_id: int) -> int:
        """End the IDLE of one mailbox, report a change, and idle again."""
        watched = self.watched.get(mailbox_id)
        if watched is None:
            return 0
        try:
            changed = idle_end(watched.imap)
            if changed:
                self.changes += 1
                self.on_change(mailbox_id, watched.session_key)
            # Still selected: IDLE again at once, and what arrived since DONE comes before the
            # go-ahead (an EXAMINE in between would report it, unseen as a change).
            idle_begin(watched.imap, self.folder, reselect=False)
            watched.idle_since = time.monotonic()
        except (ImapError, OSError) as exc:
            # The server went away (restart, its own idle limit): the next refresh opens
            # the connection again; beat meanwhile keeps syncing.
            logger.warning("new-mail watch of mailbox %s lost its connection: %s", mailbox_id, exc)
            self._drop(mailbox_id, reason="connection lost")
            self.on_change(mailbox_id, watched.session_key)  # what happened meanwhile
            return 1
        return int(changed)

    def run(self, *, should_stop: Callable[[], bool], timeout: float = 1.0) -> None:
        try:
            while not should_stop():
                self.step(timeout)
                close_old_connections()  # a long-running process: no stale database link
        finally:
            self.close()
