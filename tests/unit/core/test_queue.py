"""Asking for a task never fails the request: the broker down is a log line, and the
pending work is left to beat (outbox retry, scheduled syncs)."""

from __future__ import annotations

from typing import Any

import pytest
from kombu.exceptions import OperationalError

from apps.core import queue


@pytest.mark.django_db
def test_a_broker_down_is_logged_not_raised(monkeypatch: pytest.MonkeyPatch,
                                            django_capture_on_commit_callbacks: Any,
                                            caplog: pytest.LogCaptureFixture) -> None:
    calls: list[tuple[str, Any]] = []

    def down(name: str, **kwargs: Any) -> None:
        calls.append((name, kwargs))
        raise OperationalError("Error 111 connecting to 127.0.0.1:17379. Connection refused.")

    monkeypatch.setattr(queue.current_app, "send_task", down)
    with django_capture_on_commit_callbacks(execute=True):
        queue.task_enqueue(name="mail.outbox_send_task", args=[42])
    assert calls and calls[0][0] == "mail.outbox_send_task" and calls[0][1]["args"] == [42]
    assert calls[0][1]["retry_policy"]["max_retries"] <= 1  # a request waits a second at most
    assert "task mail.outbox_send_task not queued, broker unavailable (OperationalError)" in caplog.text


@pytest.mark.django_db
def test_nothing_is_sent_before_the_commit(monkeypatch: pytest.MonkeyPatch,
                                           django_capture_on_commit_callbacks: Any) -> None:
    sent: list[str] = []
    monkeypatch.setattr(queue.current_app, "send_task", lambda name, **kw: sent.append(name))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue.task_enqueue(name="mail.mailbox_sync_task", args=[1, None, None])
    assert sent == [] and len(callbacks) == 1
