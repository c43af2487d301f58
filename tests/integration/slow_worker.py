"""A real Celery worker (prefork: time limits need it) in which messages are engineered
to be slow: the summary parser stalls on any message whose subject holds a marker.

Parsing is linear now (bench/hostile.py); this stands in for the next slow input nobody
thought of. ``LENTEUR-DOCILE`` sleeps until the soft time limit interrupts it;
``LENTEUR-TENACE`` ignores the soft limit (as code stuck in C would), so only the hard
limit ends it. Each stall appends a line to ``$SLOW_COUNT_FILE``: the test counts how often
the message was tried. Run as ``python slow_worker.py <celery worker arguments>``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")

import django  # noqa: E402

django.setup()

from celery.exceptions import SoftTimeLimitExceeded  # noqa: E402

from mailproto.imap import summaries  # noqa: E402
from mssante_web.celery import app  # noqa: E402

real_parse = summaries.parse_summary_unit


def slow_parse(unit: list[bytes], patient_domain: str = "") -> object:
    header = b"".join(unit)
    if b"LENTEUR-" in header:
        with open(os.environ["SLOW_COUNT_FILE"], "a", encoding="ascii") as count:
            count.write("stall\n")
        stubborn = b"LENTEUR-TENACE" in header
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            try:
                time.sleep(3600)
            except SoftTimeLimitExceeded:
                if not stubborn:
                    raise
    return real_parse(unit, patient_domain)


summaries.parse_summary_unit = slow_parse  # type: ignore[assignment]

if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
