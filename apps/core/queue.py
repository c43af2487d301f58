"""Asking a worker for a task, once the current transaction commits, without ever failing
the request that asks: with the broker (Redis) down or restarting, the task is not sent,
the failure is logged, and what depends on it has its own way back (beat re-sends pending
outbox messages every minute and syncs mailboxes at its interval)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A request waits this long at most for the broker (Celery's default retries for ~1 s).
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def task_enqueue(*, name: str, args: Sequence[object], countdown: float | None = None) -> None:
    """``name(*args)`` on a worker after the commit (``countdown`` seconds later at the
    earliest); never raises for the broker."""
    def send() -> None:
        try:
            current_app.send_task(name, args=list(args), countdown=countdown, retry=True,
                                  retry_policy=PUBLISH_RETRY)
        except (OperationalError, RedisError, OSError) as exc:
            logger.warning("task %s not queued, broker unavailable (%s): left to beat", name,
                           type(exc).__name__)

    transaction.on_commit(send)
