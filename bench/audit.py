#!/usr/bin/env python3
"""What writing one audit event costs the action it records (issue 15 asks ≤ 2 ms).

``audit_log`` as the views call it, on a fresh database of each engine the stack offers
(SQLite file; PostgreSQL when ``MSSANTE_DEVSTACK_POSTGRES_URL`` is set): in autocommit (one
INSERT) and inside a transaction (its own savepoint). Milliseconds per event, median of
several runs of 500 events; the last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.engines import per_engine  # noqa: E402

EVENTS, RUNS = 500, 5


def measure() -> dict[str, object]:
    """Runs inside a process whose DATABASE_URL is the engine under test."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from apps.audit.services import audit_log

    call_command("migrate", verbosity=0)

    def one(n: int) -> None:
        audit_log(event="message_read", actor="899700123450", mailbox="claire.martin@medecin.mssante.test",
                  target=f"<{n}@bench.mssante.test>", outcome="ok", client_ip="127.0.0.1", structure_id=1,
                  folder="INBOX")

    figures: dict[str, list[float]] = {"autocommit": [], "in_transaction": []}
    for _ in range(RUNS):
        started = time.perf_counter()
        for n in range(EVENTS):
            one(n)
        figures["autocommit"].append((time.perf_counter() - started) / EVENTS * 1000)
        started = time.perf_counter()
        with transaction.atomic():
            for n in range(EVENTS):
                one(n)
        figures["in_transaction"].append((time.perf_counter() - started) / EVENTS * 1000)
    return {name: round(statistics.median(values), 3) for name, values in figures.items()}


def main() -> int:
    result: dict[str, object] = {}
    for engine, figures in per_engine(__file__, measure, "audit_bench").items():
        for name, value in figures.items():
            result[f"audit_event_ms_{engine}_{name}"] = value
            print(f"{engine:10s} {name:15s} {value:.3f} ms per event")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
