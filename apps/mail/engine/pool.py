"""IMAP sessions kept open between uses, per process, within a budget per mailbox shared by
the whole deployment (issue 28).

Every process (each web worker, each Celery process) keeps at most one idle session per
mailbox, and only while it holds that mailbox's **idle slot** for its kind of caller, a claim
in Redis: one for the pages (sessions opened with a user's tokens), one for the workers
(with a stored session's), one for certificate mailboxes. With the new-mail watcher's IDLE,
a signed-in professional holds at most 3 connections at rest, whatever the number of web
and worker processes (Dovecot allows 10 per user and IP; the person's own mail client needs
some). A process without the slot logs out after its use.

A session that ends closes its connections in every process: the process that saw it end
publishes the credential owner on a Redis channel, and each process's **reaper** thread
(started at its first use of the pool) closes what it holds for it; every few seconds the
reaper also closes what no live session stands behind any more (an expiry, a deactivated
user, a revoked delegation, a broadcast missed while Redis restarted), and what sat idle too
long.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

import redis
from django.conf import settings
from django.db import connections

from apps.core.errors import MailServerUnavailable
from apps.core.locks import redis_client
from mailproto.imap import ImapError
from mailproto.imap.session import ImapSession

from .idle_slots import IdleSlots

Alive = Callable[[set[tuple[int, str]]], set[tuple[int, str]]]  # (mailbox id, owner) still backed

logger = logging.getLogger(__name__)

PoolKey = tuple[int, str]
CLOSE_CHANNEL = "mssante:imap:close"
class SessionPool:
    """Authenticated IMAP sessions kept open per (mailbox, credential owner) inside one
    process, and at most ``limit`` open at once per key: Dovecot allows 10 connections per
    user and IP, and a worker must leave room for the user's other clients."""

    IDLE_CHECK_AFTER = 60.0  # seconds idle before a NOOP proves the connection alive
    MAX_IDLE = 300.0  # closed rather than reused after this long
    MAX_POOLED = 64  # idle sessions kept in all, the least recently used closed first
    # Idle sessions kept per mailbox, whoever opened them: every web and worker process keeps
    # its own, and Dovecot counts them all against the user's 10 (bench/load.py: 50 sessions
    # of 7 people on 4 web workers and a worker held 10 of a mailbox's slots idle, locking
    # out the person's own mail client).
    IDLE_PER_MAILBOX = 1
    REAP_EVERY = 5.0  # seconds between two reaper passes (ended sessions, past MAX_IDLE)

    def __init__(self, limit: int, *, slots: IdleSlots | None = None, alive: Alive | None = None,
                 reaper: bool = False) -> None:
        self.limit = limit
        self.slots = slots
        self.alive = alive
        self.reaper = reaper
        self._reaper_pid = 0
        self._idle: dict[PoolKey, list[ImapSession]] = defaultdict(list)
        self._open: dict[PoolKey, int] = defaultdict(int)
        self._changed = threading.Condition()
        # owner -> when its credentials were revoked; sessions in use then are closed
        # when they come back instead of being pooled again.
        self._revoked: dict[str, float] = {}
        self._opened_at: dict[int, float] = {}

    def acquire(self, key: PoolKey, factory: Callable[[], ImapSession],
                timeout: float = 30.0) -> ImapSession:
        if self.reaper:
            self.reaper_start()
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
            session = factory()
        except BaseException:
            with self._changed:
                self._open[key] -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._opened_at[id(session)] = time.monotonic()
        return session

    def release(self, key: PoolKey, session: ImapSession, broken: bool) -> None:
        with self._changed:
            opened = self._opened_at.get(id(session), 0.0)
            revoked = self._revoked.get(_owner(key))
            keep = not broken and (revoked is None or opened > revoked) and self._idle_at(key[0]) == 0
        if keep and self.slots is not None:
            keep = self.slots.hold(key[0], _kind(key))  # a round trip to Redis, outside the lock
        with self._changed:
            if not keep or self._idle_at(key[0]) >= self.IDLE_PER_MAILBOX:
                self._open[key] -= 1
                self._opened_at.pop(id(session), None)
                session.close()
            else:
                session.last_used = time.monotonic()
                self._idle[key].append(session)
            closed = self._sweep_locked()
            self._changed.notify()
        self._give_back(closed)

    def _idle_at(self, mailbox_id: int) -> int:
        return sum(len(v) for k, v in self._idle.items() if k[0] == mailbox_id)

    def _sweep_locked(self) -> list[PoolKey]:
        """Close idle sessions nobody came back for (a mailbox no longer synced here, one
        deleted): past MAX_IDLE, or beyond MAX_POOLED in all, oldest first. Without this
        they would hold the user's Dovecot connection slots (10 per user and IP). Returns
        the keys closed (their idle slots to give back, outside the lock)."""
        now = time.monotonic()
        idle = sorted(((session.last_used, key, session) for key, sessions in self._idle.items()
                       for session in sessions), key=lambda item: item[0])
        excess = len(idle) - self.MAX_POOLED
        closed = []
        for number, (last_used, key, session) in enumerate(idle):
            if number < excess or now - last_used > self.MAX_IDLE:
                self._close_idle_locked(key, session)
                closed.append(key)
        for owner, at in list(self._revoked.items()):
            if now - at > self.MAX_IDLE:
                del self._revoked[owner]
        return closed

    def _close_idle_locked(self, key: PoolKey, session: ImapSession) -> None:
        self._idle[key].remove(session)
        self._open[key] -= 1
        self._opened_at.pop(id(session), None)
        session.close()

    def _give_back(self, keys: Iterable[PoolKey]) -> None:
        if self.slots is not None:
            slots = {(key[0], _kind(key)) for key in keys}
            if slots:
                self.slots.give_back(slots)

    def close_owner(self, owner: str) -> int:
        """Close every session opened with ``owner``'s credentials (a user whose PSC
        session ended): the idle ones now, the ones in use when they come back. Returns
        how many were closed now."""
        closed: list[PoolKey] = []
        with self._changed:
            self._revoked[owner] = time.monotonic()
            for key in [k for k in self._idle if _owner(k) == owner]:
                for session in list(self._idle[key]):
                    self._close_idle_locked(key, session)
                    closed.append(key)
            self._changed.notify_all()
        self._give_back(closed)
        return len(closed)

    def close_dead(self) -> int:
        """Close the idle sessions no live session stands behind any more (``alive``), and
        those idle past MAX_IDLE; renew the idle slots of the rest: the reaper's pass."""
        with self._changed:
            closed = self._sweep_locked()
            pairs = {(key[0], _owner(key)) for key, sessions in self._idle.items() if sessions}
            slots = {(key[0], _kind(key)) for key, sessions in self._idle.items() if sessions}
        self._give_back(closed)
        if self.slots is not None and slots:
            for mailbox_id, kind in self.slots.renew(slots):  # lost (a Redis restart): not kept idle
                with self._changed:
                    for key in [k for k in self._idle if k[0] == mailbox_id and _kind(k) == kind]:
                        for session in list(self._idle[key]):
                            self._close_idle_locked(key, session)
        if self.alive is None or not pairs:
            return len(closed)
        dead = pairs - self.alive(pairs)
        count = len(closed)
        for mailbox_id, owner in dead:
            count += self._close_mailbox_owner(mailbox_id, owner)
        return count

    def _close_mailbox_owner(self, mailbox_id: int, owner: str) -> int:
        closed: list[PoolKey] = []
        with self._changed:
            for key in [k for k in self._idle if k[0] == mailbox_id and _owner(k) == owner]:
                for session in list(self._idle[key]):
                    self._close_idle_locked(key, session)
                    closed.append(key)
        self._give_back(closed)
        return len(closed)

    # ------------------------------------------------------------------ the reaper
    def reaper_start(self) -> None:
        """Start this process's reaper thread, once per process (a forked web or Celery
        worker starts its own at its first use of the pool)."""
        if self._reaper_pid == os.getpid():
            return
        with self._changed:
            if self._reaper_pid == os.getpid():
                return
            self._reaper_pid = os.getpid()
        threading.Thread(target=self._reap_forever, name="imap-pool-reaper", daemon=True).start()

    def _reap_forever(self) -> None:
        pubsub = None
        last_pass = time.monotonic()
        retry_in = 0.0  # after a failure: 1 s, doubling up to the pass period; one log line per outage
        while True:
            try:
                if pubsub is None:
                    pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(CLOSE_CHANNEL)
                message = pubsub.get_message(timeout=1.0)
                if retry_in:
                    logger.info("IMAP pool reaper: broadcast channel back")
                    retry_in = 0.0
                if message is not None:
                    for owner in broadcast_owners(message["data"]):
                        closed = self.close_owner(owner)
                        if closed:
                            logger.info("IMAP sessions of %s closed on broadcast: %s", owner, closed)
            except (redis.RedisError, OSError, ValueError) as exc:
                if not retry_in:
                    logger.warning("IMAP pool reaper: broadcast channel unavailable (%s); the "
                                   "periodic pass still closes ended sessions' connections", exc)
                pubsub = None
                retry_in = min(self.REAP_EVERY, max(1.0, retry_in * 2))  # the pass below stays due
                time.sleep(retry_in)
            if time.monotonic() - last_pass >= self.REAP_EVERY:
                last_pass = time.monotonic()
                try:
                    self.close_dead()
                except Exception:  # the reaper must outlive anything: a page is not at stake
                    logger.exception("IMAP pool reaper pass failed")
                finally:
                    connections.close_all()  # this thread's own: none kept between passes

    def owners(self) -> set[str]:
        """Whose credentials the idle sessions were opened with (tests, diagnostics)."""
        with self._changed:
            return {_owner(key) for key, sessions in self._idle.items() if sessions}

    def clear(self) -> None:
        with self._changed:
            closed = [key for key, sessions in self._idle.items() for _ in sessions]
            for key, sessions in self._idle.items():
                for session in sessions:
                    session.close()
                self._open[key] -= len(sessions)
            self._idle.clear()
            self._opened_at.clear()
        self._give_back(closed)


def _owner(key: PoolKey) -> str:
    """The credential owner part of a pool key ("user:12", "session:abc", "certificate")."""
    return key[1].split("|", 1)[0]


def broadcast_owners(data: bytes | str) -> list[str]:
    """The credential owners a close broadcast names: anything else on the channel names
    nobody (and must not stop the reaper that reads it). Raises ValueError on non-JSON."""
    sent = json.loads(data)
    owners = sent.get("owners") if isinstance(sent, dict) else None
    return [owner for owner in owners if isinstance(owner, str)] if isinstance(owners, list) else []


def _kind(key: PoolKey) -> str:
    """Whose budget a session counts in: pages (a user's tokens), workers (a stored
    session's), certificate mailboxes."""
    return {"user": "web", "session": "worker"}.get(_owner(key).split(":", 1)[0], "certificate")


def _alive(session: ImapSession) -> bool:
    try:
        session.noop()
    except ImapError:
        return False
    return True


def pool_owners_alive(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Of (mailbox id, credential owner), those a live session still stands behind: the
    user (or stored session) signed in, active, and still allowed to open the mailbox.
    Run by the reaper thread (which closes its database connection after each pass)."""
    from ..selectors import mailbox_open_to
    from ..selectors.live import pool_owner_users

    users = pool_owner_users(owners={owner for _, owner in pairs})
    return {(mailbox_id, owner) for mailbox_id, owner in pairs
            if owner == "certificate"
            or (owner in users and mailbox_open_to(user_id=users[owner], mailbox_id=mailbox_id))}


# A slot lasts three reaper passes, renewed at each (a dead process frees its slots within
# 15 s); without the reaper, as long as an idle session may live.
_SLOT_TTL = 3 * SessionPool.REAP_EVERY if settings.MSSANTE_IMAP_REAPER else SessionPool.MAX_IDLE + 60
_SLOTS = IdleSlots(ttl=_SLOT_TTL) if settings.MSSANTE_IMAP_IDLE_SLOTS else None
POOL = SessionPool(settings.MSSANTE_IMAP_MAX_CONNECTIONS, slots=_SLOTS,
                   alive=pool_owners_alive, reaper=settings.MSSANTE_IMAP_REAPER)
atexit.register(POOL.clear)  # a process that ends cleanly logs out and frees its slots at once


def psc_session_connections_close(*, user_pk: int | None, session_key: str | None,
                                  **_: object) -> None:
    """``psc_session_ended`` receiver: this process's connections opened with that
    user's tokens are closed now, and every other process is told to close its own."""
    owners = [owner for owner in (f"user:{user_pk}" if user_pk is not None else "",
                                  f"session:{session_key}" if session_key else "") if owner]
    for owner in owners:
        POOL.close_owner(owner)
    if owners:
        try:
            redis_client().publish(CLOSE_CHANNEL, json.dumps({"owners": owners}))
        except redis.RedisError as exc:
            logger.warning("IMAP close broadcast for %s not sent (%s): the other processes close "
                           "them at their reaper's next pass", owners, exc)
