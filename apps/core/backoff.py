"""One backoff for everything that retries against a server: syncs, Celery task retries,
the outbox. 30 s, 1 min, 2 min... up to a cap."""

from __future__ import annotations

BACKOFF_FIRST_SECONDS = 30


def backoff_seconds(*, failures: int, cap: float) -> float:
    """The wait after ``failures`` failures in a row (1 for the first)."""
    return float(min(BACKOFF_FIRST_SECONDS * 2 ** max(failures - 1, 0), cap))
