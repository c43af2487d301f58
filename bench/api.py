#!/usr/bin/env python3
"""The business tool's API under load (issue 29 asks 200 calls/s on the listing).

The deployed site of ``load.py`` (gunicorn through the container's entrypoint, 4 workers,
PostgreSQL, Redis, DEBUG off), one structure with 40 documents received for a patient, and
16 threads of one key calling ``GET /api/v1/patients/<INS>/documents`` for 15 s, three
rounds. The load generator runs on the same 2-core machine (it takes CPU from the site):
read the figure as a floor. The rate limit is raised for the run (the bench measures the
site, not the limiter). Calls/s, p50 and p95 in ms, medians of the rounds; the last line
is one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import Site, machine_cpu, tree_cpu  # noqa: E402

INS = "279035121518989"
THREADS, SECONDS, ROUNDS, DOCUMENTS = 16, 15, 3, 40


def prepare(site: Site) -> str:
    """The EHPAD's documents and a key, written straight into the site's database."""
    os.environ.update(site.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "mssante_web.settings"
    import django

    django.setup()
    from apps.api.services import api_key_issue
    from apps.integration.models import DocumentDelivery, HandedMessage, IntegrationEndpoint
    from apps.mail.models import Mailbox

    box = Mailbox.objects.get(address="dossiers@ehpad.mssante.test")
    endpoint = IntegrationEndpoint.objects.get(mailbox=box)
    for n in range(DOCUMENTS):
        handed = HandedMessage.objects.create(endpoint=endpoint, uid=n + 1, message_id=f"<bench-{n}@x>",
                                              sender="claire.martin@medecin.mssante.test", subject=f"CR {n}")
        DocumentDelivery.objects.create(message=handed, key=f"2/IHE_XDM/DOC{n}.XML", title=f"Bilan {n}",
                                        type_code="11502-2", patient_ins=INS, patient_name="DUPONT Jeanne",
                                        state="accepted")
    _client, key = api_key_issue(structure=box.structure, name="bench")
    return key


def round_of_calls(base: str, key: str) -> tuple[float, list[float]]:
    timings: list[float] = []
    errors: list[int] = []
    stop = time.monotonic() + SECONDS
    lock = threading.Lock()

    def worker() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        mine: list[float] = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = session.get(f"{base}/api/v1/patients/{INS}/documents", timeout=10)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or len(response.json()) != DOCUMENTS:
                errors.append(response.status_code)
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} failed calls: {errors[:5]}")
    return len(timings) / (time.monotonic() - began), timings


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        site = Site(Path(work))
        site.env["MSSANTE_API_RATE"] = "100000"
        site.start()
        try:
            key = prepare(site)
            rates, p50s, p95s, server_ms, generator_ms, machine_ms = [], [], [], [], [], []
            web = site.processes["web"].pid
            for number in range(ROUNDS):
                before = tree_cpu(web), os.times(), machine_cpu()
                rate, timings = round_of_calls(site.base, key)
                after = tree_cpu(web), os.times(), machine_cpu()
                calls = len(timings)
                ordered = sorted(timings)
                rates.append(rate)
                p50s.append(statistics.median(ordered))
                p95s.append(ordered[int(len(ordered) * 0.95)])
                server_ms.append((after[0] - before[0]) * 1000 / calls)
                generator_ms.append((after[1].user + after[1].system - before[1].user - before[1].system)
                                    * 1000 / calls)
                machine_ms.append((after[2] - before[2]) * 1000 / calls)
                print(f"round {number + 1}: {rate:.0f} calls/s, p50 {p50s[-1]:.1f} ms, "
                      f"p95 {p95s[-1]:.1f} ms; "
                      f"CPU per call: site {server_ms[-1]:.2f} ms, load generator {generator_ms[-1]:.2f} ms, "
                      f"whole machine {machine_ms[-1]:.2f} ms")
        finally:
            site.stop()
    cores = os.cpu_count() or 1
    site_cpu = statistics.median(server_ms)
    print(json.dumps({"api_listing_calls_per_s": round(statistics.median(rates)),
                      "api_listing_p50_ms": round(statistics.median(p50s), 1),
                      "api_listing_p95_ms": round(statistics.median(p95s), 1),
                      "site_cpu_ms_per_call": round(site_cpu, 2),
                      "generator_cpu_ms_per_call": round(statistics.median(generator_ms), 2),
                      "machine_cpu_ms_per_call": round(statistics.median(machine_ms), 2),
                      # what the machine's cores give the site alone, the generator elsewhere
                      "site_capacity_calls_per_s": round(cores * 1000 / site_cpu) if site_cpu else None,
                      "worker_class": site.env.get("GUNICORN_WORKER_CLASS", "sync"),
                      "threads": THREADS, "documents_listed": DOCUMENTS}))


if __name__ == "__main__":
    main()
