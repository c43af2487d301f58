"""Django's Redis cache, made to degrade instead of fail: with Redis down or restarting, a
read is a miss and a write is skipped (logged once per outage), so every page that only
uses the cache to go faster still answers. Nothing this site keeps in the cache is needed
for correctness (the whitelist, raw messages and sanitised bodies are rebuilt on a miss;
sessions live in the database)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LOG_EVERY = 60.0  # seconds between two log lines of one outage


class ResilientRedisCache(RedisCache):
    _last_logged = 0.0

    def _failed(self, operation: str, exc: RedisError) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged > LOG_EVERY:
            ResilientRedisCache._last_logged = now
            logger.warning("cache unavailable (%s on %s): pages go on without it",
                           type(exc).__name__, operation)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            self._failed("get", exc)
            return default

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            self._failed("get_many", exc)
            return {}

    def set(self, key: Any, value: Any, timeout: Any = 300, version: Any = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            self._failed("set", exc)

    def set_many(self, data: Any, timeout: Any = 300, version: Any = None) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            self._failed("set_many", exc)
            return list(data)

    def add(self, key: Any, value: Any, timeout: Any = 300, version: Any = None) -> bool:
        try:
            return bool(super().add(key, value, timeout, version))
        except RedisError as exc:
            self._failed("add", exc)
            return False

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().delete(key, version))
        except RedisError as exc:
            self._failed("delete", exc)
            return False

    def delete_many(self, keys: Any, version: Any = None) -> None:
        try:
            super().delete_many(keys, version)
        except RedisError as exc:
            self._failed("delete_many", exc)

    def has_key(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().has_key(key, version))
        except RedisError as exc:
            self._failed("has_key", exc)
            return False
