"""Locks shared by every process (web and workers), in Redis, that never fail their
caller: with Redis unreachable the work goes on unlocked (logged), because the work under
these locks is safe to run twice, and a page failing is not."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager

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
