"""Django's Redis cache, made to degrade instead of fail: with Redis down or restarting, a
read is a miss and a write is skipped (logged once per outage), so every page that only
uses the cache to go faster still answers. Nothing this site keeps in the cache is needed
for correctness (the whitelist, raw messages and sanitised bodies are rebuilt on a miss;
sessions live in the database)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LOG_EVERY = 60.0  # seconds between two log lines of one outage


def _degrading(fallback: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The cache operation, or ``fallback(*args)`` (what a miss or a skipped write
    returns) when Redis fails."""
    def wrap(operation: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(operation)
        def guarded(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return operation(self, *args, **kwargs)
            except RedisError as exc:
                now = time.monotonic()
                if now - ResilientRedisCache._last_logged > LOG_EVERY:
                    ResilientRedisCache._last_logged = now
                    logger.warning("cache unavailable (%s on %s): pages go on without it",
                                   type(exc).__name__, operation.__name__)
                return fallback(*args, **kwargs)
        return guarded
    return wrap


def _default(key: Any, default: Any = None, *_: Any, **__: Any) -> Any:
    return default


def _nothing(*_: Any, **__: Any) -> None:
    return None


def _false(*_: Any, **__: Any) -> bool:
    return False


class ResilientRedisCache(RedisCache):
    _last_logged = 0.0

    get = _degrading(_default)(RedisCache.get)
    get_many = _degrading(lambda *a, **k: {})(RedisCache.get_many)
    set = _degrading(_nothing)(RedisCache.set)
    set_many = _degrading(lambda data, *a, **k: list(data))(RedisCache.set_many)
    add = _degrading(_false)(RedisCache.add)
    delete = _degrading(_false)(RedisCache.delete)
    delete_many = _degrading(_nothing)(RedisCache.delete_many)
    has_key = _degrading(_false)(RedisCache.has_key)
