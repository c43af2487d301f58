from __future__ import annotations

from celery import shared_task


@shared_task(name="core.ping_task")
def ping_task() -> str:
    """Answers "pong": proves a worker is consuming the broker (readiness, tests)."""
    return "pong"
