"""The cache degrades instead of failing: Redis unreachable is a miss, a skipped write and
one log line, never an exception in a page."""

from __future__ import annotations

import pytest

from apps.core import cache as resilient
from apps.core.cache import ResilientRedisCache


def test_redis_down_is_a_miss_not_an_error(caplog: pytest.LogCaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ResilientRedisCache, "_last_logged", 0.0)
    monkeypatch.setattr(resilient.time, "monotonic", lambda: 1000.0)
    down = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    assert down.get("k", "default") == "default"
    down.set("k", "v")
    assert down.get_many(["a", "b"]) == {}
    assert down.add("k", "v") is False and down.delete("k") is False and not down.has_key("k")
    down.delete_many(["a"])
    assert down.set_many({"a": 1}) == ["a"]
    lines = [r for r in caplog.records if "cache unavailable" in r.getMessage()]
    assert len(lines) == 1  # once per outage, not once per call
