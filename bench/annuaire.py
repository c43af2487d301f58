"""Directory (annuaire) benchmark: 535,000 synthetic rows in the exact real format.

On SQLite and on PostgreSQL, each in a fresh process with its own database (so that peak
RSS is the import's own):
import time and peak RSS; search latency p50/p95 over 300 autocomplete-style queries
(three letters of a name, full names, an RPPS, a city, a profession with a name); then a
second import of the same file with 1% of rows changed, reporting what it touched.
The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROWS = int(os.environ.get("BENCH_ANNUAIRE_ROWS", "535000"))


def child(work: Path, database: str) -> dict[str, object]:
    from devstack import stack

    env = stack.env_vars(os.environ.get("MSSANTE_DEVSTACK_PROFILE", "test"))
    os.environ.update(env)
    if database == "postgresql":
        server = env["MSSANTE_DEVSTACK_POSTGRES_URL"].rsplit("/", 1)[0]
        import psycopg

        with psycopg.connect(server + "/mssante", autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench_annuaire")
            admin.execute("CREATE DATABASE bench_annuaire")
        url = server + "/bench_annuaire"
    else:
        url = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="bench" * 10, DATABASE_URL=url,
                      DJANGO_SETTINGS_MODULE="mssante_web.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from apps.trust.selectors import directory_search
    from apps.trust.services import annuaire_import
    from devstack import annuaire_synth

    call_command("migrate", verbosity=0)
    first = annuaire_synth.write(work / "a.txt", ROWS)
    size_mb = first.stat().st_size / 1e6
    report = annuaire_import(path=first)
    rss_after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rng = random.Random(3)
    queries = []
    for _ in range(100):
        queries.append(rng.choice(annuaire_synth.FAMILY)[:3])
    for _ in range(80):
        queries.append(f"{rng.choice(annuaire_synth.GIVEN)} {rng.choice(annuaire_synth.FAMILY)}")
    for _ in range(40):
        queries.append(f"997{rng.randrange(ROWS):08d}")
    for _ in range(40):
        queries.append(rng.choice(annuaire_synth.CITIES)[1].lower()[:4])
    for _ in range(40):
        queries.append(f"{rng.choice(annuaire_synth.FAMILY)[:4]} {rng.choice(annuaire_synth.CITIES)[1][:3]}")
    for query in queries[:20]:
        directory_search(query=query)  # warm the page cache
    times = []
    empty = 0
    for query in queries:
        started = time.perf_counter()
        found = directory_search(query=query)
        times.append((time.perf_counter() - started) * 1000)
        empty += not found
    times.sort()

    second = annuaire_synth.write(work / "b.txt", ROWS, changed=0.01)
    again = annuaire_import(path=second)
    return {
        "rows": report.rows, "file_mb": round(size_mb, 1),
        "import_s": report.seconds, "import_peak_rss_mb": round(rss_after_import, 1),
        "search_queries": len(times), "search_without_result": empty,
        "search_p50_ms": round(statistics.median(times), 2),
        "search_p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "search_max_ms": round(times[-1], 2),
        "reimport_1pct_s": again.seconds, "reimport_changed": again.changed,
        "reimport_added": again.added, "reimport_removed": again.removed,
        "reimport_touched_share": round((again.changed + again.added + again.removed) / again.rows, 4),
        "database": database,
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(Path(sys.argv[2]), sys.argv[3])))
        return
    results = {}
    for database in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(","):
        with tempfile.TemporaryDirectory() as work:
            out = subprocess.run([sys.executable, __file__, "--child", work, database],
                                 capture_output=True, text=True, cwd=ROOT)
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(out.returncode)
        results[database] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{database}: {results[database]}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
