"""The deployment's budget of idle IMAP sessions (issue 28): one slot per (database,
mailbox, kind of caller), a claim in Redis, that a process must hold to keep a session idle
(``engine.pool``)."""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Iterable

import redis
from django.conf import settings

from apps.core.locks import claims_give_back, claims_take, process_name

logger = logging.getLogger(__name__)

SLOT_KEY = "mssante:imap:idle:{}:{}:{}"  # database, mailbox id, kind of caller


@functools.cache
def _database_tag() -> str:
    """Which index the mailbox ids belong to: deployments, benches and test runs sharing a
    Redis have their own databases, where one id names different mailboxes."""
    db = settings.DATABASES["default"]
    where = f"{db.get('ENGINE')}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}"
    return hashlib.blake2b(where.encode(), digest_size=6).hexdigest()



class IdleSlots:
    """The deployment's idle budget: one claim per (mailbox, kind of caller) in Redis.
    Without Redis a process keeps its session idle (its own limit of one per mailbox
    still holds): a Redis restart costs logins, never a refusal."""

    def __init__(self, ttl: float, *, holder: str | None = None) -> None:
        self.ttl = ttl
        self.holder = holder  # this process (``process_name``) unless a test gives another
        self._warned_at = float("-inf")
        # (mailbox, kind) → when Redis last confirmed this process holds it: a release
        # within a third of the slot's life asks Redis nothing (every IMAP use ends in a
        # release; the reaper's pass renews and checks the slots held anyway).
        self._confirmed: dict[tuple[int, str], float] = {}
        self._lock = threading.Lock()

    def hold(self, mailbox_id: int, kind: str) -> bool:
        slot = (mailbox_id, kind)
        with self._lock:
            if time.monotonic() - self._confirmed.get(slot, float("-inf")) < self.ttl / 3:
                return True
        try:
            key = SLOT_KEY.format(_database_tag(), mailbox_id, kind)
            held = claims_take(keys=[key], holder=self.holder or process_name(), ttl=self.ttl)[0]
        except redis.RedisError as exc:
            self._warn(exc)
            return True
        with self._lock:
            if held:
                self._confirmed[slot] = time.monotonic()
            else:
                self._confirmed.pop(slot, None)
        return held

    def give_back(self, slots: Iterable[tuple[int, str]]) -> None:
        slots = list(slots)
        with self._lock:
            for slot in slots:
                self._confirmed.pop(slot, None)
        try:
            claims_give_back(keys=[SLOT_KEY.format(_database_tag(), m, kind) for m, kind in slots],
                             holder=self.holder or process_name())
        except redis.RedisError as exc:
            self._warn(exc)

    def renew(self, slots: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        """Renew the slots this process's idle sessions hold (the reaper's pass: a process
        that dies frees its slots within ``ttl``); returns those it no longer holds."""
        ordered = list(slots)
        try:
            held = claims_take(keys=[SLOT_KEY.format(_database_tag(), m, kind) for m, kind in ordered],
                               holder=self.holder or process_name(), ttl=self.ttl)
        except redis.RedisError as exc:
            self._warn(exc)
            return set()
        now = time.monotonic()
        with self._lock:
            for slot, kept in zip(ordered, held, strict=True):
                if kept:
                    self._confirmed[slot] = now
                else:
                    self._confirmed.pop(slot, None)
        return {slot for slot, kept in zip(ordered, held, strict=True) if not kept}

    def _warn(self, exc: Exception) -> None:
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            logger.warning("IMAP idle slots: Redis unavailable (%s); idle sessions kept per process", exc)


