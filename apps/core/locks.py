"""Locks shared by every process (web and workers), in Redis, that never fail their
caller: with Redis unreachable the work goes on unlocked (logged), because the work under
these locks is safe to run twice, and a page failing is not."""

from __future__ import annotations

import functools
import logging
import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


@functools.cache
def _redis(url: str) -> redis.Redis:
    """One client (and connection pool) per process: a new connection for each lock cost
    more than a no-change sync itself. redis-py gives a forked child (a Celery worker)
    fresh connections of its own."""
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def redis_client() -> redis.Redis:
    return _redis(settings.REDIS_URL)


@contextmanager
def shared_lock(*, name: str, timeout: float, wait: float = 0.0) -> Iterator[bool]:
    """Hold ``name`` for at most ``timeout`` s; yields False when another holder keeps it
    beyond ``wait`` s, True when held (or when Redis is unreachable)."""
    lock = redis_client().lock(name, timeout=timeout, blocking=wait > 0, blocking_timeout=wait or None)
    try:
        acquired = lock.acquire()
    except redis.RedisError as exc:
        logger.warning("Redis unavailable (%s): %s runs without its lock", type(exc).__name__, name)
        yield True
        return
    try:
        yield bool(acquired)
    finally:
        if acquired:
            _release(lock, name)


def _release(lock: object, name: str) -> None:
    try:
        lock.release()  # type: ignore[attr-defined]
    except redis.exceptions.LockError:
        logger.warning("lock %s expired before release", name)
    except redis.RedisError as exc:  # it expires on its own
        logger.warning("lock %s not released: %s", name, exc)


class Lease:
    """A held lock that lasts ``ttl`` seconds from its last renewal: long work renews it
    between steps, so that a holder killed mid-work (SIGKILL, a lost machine) frees it
    within one ``ttl`` instead of the whole work's worst case."""

    def __init__(self, lock: object | None, name: str) -> None:
        self._lock, self.name = lock, name

    def renew(self) -> None:
        if self._lock is None:  # Redis was unreachable: running unlocked
            return
        try:
            self._lock.reacquire()  # type: ignore[attr-defined]
        except redis.exceptions.LockError:
            logger.warning("lease %s lost before renewal (held too long between steps)", self.name)
        except redis.RedisError as exc:
            logger.warning("lease %s not renewed: %s", self.name, exc)


@contextmanager
def shared_lease(*, name: str, ttl: float) -> Iterator[Lease | None]:
    """As ``shared_lock`` (None when another process holds it), renewable."""
    lock = redis_client().lock(name, timeout=ttl, blocking=False)
    try:
        acquired = lock.acquire()
    except redis.RedisError as exc:
        logger.warning("Redis unavailable (%s): %s runs without its lease", type(exc).__name__, name)
        yield Lease(None, name)
        return
    if not acquired:
        yield None
        return
    try:
        yield Lease(lock, name)
    finally:
        _release(lock, name)


# Claims: keys that name their holder and expire on their own, taken only when free or
# already the holder's (then their life is pushed back), given back only by their holder.
# The new-mail watchers' mailboxes and the IMAP connections kept idle per mailbox (issue 28).
_CLAIM = """
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_GIVE_BACK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@functools.cache
def _claim_scripts(client: redis.Redis) -> tuple[Any, Any]:
    return client.register_script(_CLAIM), client.register_script(_GIVE_BACK)


def claims_take(*, keys: Sequence[str], holder: str, ttl: float,
                client: redis.Redis | None = None) -> list[bool]:
    """Take or renew each claim for ``ttl`` s, in one round trip; whether each is
    ``holder``'s now. Raises ``redis.RedisError``: what to do without Redis is the caller's."""
    if not keys:
        return []
    client = client or redis_client()
    take, _ = _claim_scripts(client)
    pipe = client.pipeline(transaction=False)
    for key in keys:
        take(keys=[key], args=[holder, max(1, int(ttl * 1000))], client=pipe)
    return [bool(got) for got in pipe.execute()]


def claims_give_back(*, keys: Iterable[str], holder: str, client: redis.Redis | None = None) -> None:
    """Give back those of ``keys`` that ``holder`` holds (the others are left alone)."""
    ordered = list(keys)
    if not ordered:
        return
    client = client or redis_client()
    _, give_back = _claim_scripts(client)
    pipe = client.pipeline(transaction=False)
    for key in ordered:
        give_back(keys=[key], args=[holder], client=pipe)
    pipe.execute()


_process_names: dict[int, str] = {}


def process_name() -> str:
    """This process as a claims' holder: its machine and pid, and a random part so that a
    restarted process (the same pid in a new container) is someone new. A forked child
    (a Celery or gunicorn worker) gets a name of its own."""
    pid = os.getpid()
    if pid not in _process_names:
        _process_names[pid] = f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:6]}"
    return _process_names[pid]
