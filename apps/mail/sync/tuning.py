"""The sync engine's tunables, in one object.

Tests and benchmarks change them with ``monkeypatch.setattr(TUNING, "batch", 3)``: every
module reads them from this one object at call time, so a patch cannot silently miss a
module that copied a constant, and a misspelt name fails the patch at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SyncTuning:
    first_batch: int = 300  # what the first screen needs, fetched before anything else
    batch: int = 2000  # UIDs per summary FETCH after the first screen
    # Rows per multi-row INSERT: 12,000 parameters (SQLite >= 3.32 allows 32,766,
    # PostgreSQL 65,535); fewer where an old SQLite allows only 999.
    rows_per_insert: int = 500
    commit_rows: int = 2000  # the most rows stored in one transaction during a sync
    pipe_bytes: int = 1 << 20  # the writer process's inbox: Linux's largest pipe for a user
    offer_backlog: int = 250  # units or rows the writer process may have in hand for an offer
    process_writer_min_messages: int = 14000  # ~7 batches: below, forking costs more than it saves
    writer_stall_seconds: float = 120.0  # a writer process storing nothing with work in hand is killed
    writer_watch_seconds: float = 2.0  # how often the parent looks


TUNING = SyncTuning()
