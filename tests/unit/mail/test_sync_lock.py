"""With Redis down, a sync goes on without its lock (logged) instead of failing the page:
two syncs at once are safe, a 500 is not."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from apps.mail.engine import sync_runs


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
def test_redis_down_means_unlocked_not_failed(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), sync_runs.mailbox_sync_lock(mailbox_id=42) as acquired:
        assert acquired is True
    assert "runs without its lock" in caplog.text
