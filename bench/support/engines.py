"""Run a benchmark's measuring function once per database engine the stack offers: a fresh
SQLite file, and a fresh PostgreSQL database when ``MSSANTE_DEVSTACK_POSTGRES_URL`` is set;
each in a child process of its own (Django is set up once per process, for one database).
A helper, not a benchmark: ``run-bench.sh`` runs ``bench/*.py`` only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable

CHILD = "BENCH_ENGINE_CHILD"


def per_engine(script: str, measure: Callable[[], dict[str, object]],
               database: str) -> dict[str, dict[str, object]]:
    """In the parent: ``{engine: figures}`` from a child per engine running ``script``. In a
    child (``CHILD`` set): print ``measure()``'s figures as JSON and exit."""
    if os.environ.get(CHILD):
        print(json.dumps(measure()))
        raise SystemExit(0)
    engines = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/{database}.sqlite3"}
    if os.environ.get("MSSANTE_DEVSTACK_POSTGRES_URL"):
        import psycopg

        url = os.environ["MSSANTE_DEVSTACK_POSTGRES_URL"]
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database}")
            admin.execute(f"CREATE DATABASE {database}")
        engines["postgresql"] = url.rsplit("/", 1)[0] + f"/{database}"
    results = {}
    for engine, url in engines.items():
        child = subprocess.run([sys.executable, script], capture_output=True, text=True, check=True,
                               env={**os.environ, CHILD: "1", "DATABASE_URL": url, "DJANGO_DEBUG": "0",
                                    "DJANGO_SECRET_KEY": "bench" * 10, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"})
        results[engine] = json.loads(child.stdout.strip().splitlines()[-1])
    return results
