"""IMAP sessions kept open between uses, per process."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings

from apps.core.errors import MailServerUnavailable
from mailproto.imap import ImapError
from mailproto.imap.session import ImapSession

PoolKey = tuple[int, str]


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

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._idle: dict[PoolKey, list[ImapSession]] = defaultdict(list)
        self._open: dict[PoolKey, int] = defaultdict(int)
        self._changed = threading.Condition()
        # owner -> when its credentials were revoked; sessions in use then are closed
        # when they come back instead of being pooled again.
        self._revoked: dict[str, float] = {}
        self._opened_at: dict[int, float] = {}

    def acquire(self, key: PoolKey, factory: Callable[[], ImapSession],
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
            idle_here = sum(len(v) for k, v in self._idle.items() if k[0] == key[0])
            if (broken or (revoked is not None and opened <= revoked)
                    or idle_here >= self.IDLE_PER_MAILBOX):
                self._open[key] -= 1
                self._opened_at.pop(id(session), None)
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
                self._opened_at.pop(id(session), None)
                session.close()
        for owner, at in list(self._revoked.items()):
            if now - at > self.MAX_IDLE:
                del self._revoked[owner]

    def close_owner(self, owner: str) -> int:
        """Close every session opened with ``owner``'s credentials (a user whose PSC
        session ended): the idle ones now, the ones in use when they come back. Returns
        how many were closed now."""
        closed = 0
        with self._changed:
            self._revoked[owner] = time.monotonic()
            for key in [k for k in self._idle if _owner(k) == owner]:
                for session in self._idle.pop(key):
                    self._open[key] -= 1
                    self._opened_at.pop(id(session), None)
                    session.close()
                    closed += 1
            self._changed.notify_all()
        return closed

    def owners(self) -> set[str]:
        """Whose credentials the idle sessions were opened with (tests, diagnostics)."""
        with self._changed:
            return {_owner(key) for key, sessions in self._idle.items() if sessions}

    def clear(self) -> None:
        with self._changed:
            for key, sessions in self._idle.items():
                for session in sessions:
                    session.close()
                self._open[key] -= len(sessions)
            self._idle.clear()
            self._opened_at.clear()


def _owner(key: PoolKey) -> str:
    """The credential owner part of a pool key ("user:12", "session:abc", "certificate")."""
    return key[1].split("|", 1)[0]


def _alive(session: ImapSession) -> bool:
    try:
        session.noop()
    except ImapError:
        return False
    return True


POOL = SessionPool(settings.MSSANTE_IMAP_MAX_CONNECTIONS)


def psc_session_connections_close(*, user_pk: int | None, session_key: str | None,
                                  **_: object) -> None:
    """``psc_session_ended`` receiver: this process's connections opened with that
    user's tokens are closed (other processes find the session over at their next use)."""
    if user_pk is not None:
        POOL.close_owner(f"user:{user_pk}")
    if session_key:
        POOL.close_owner(f"session:{session_key}")
