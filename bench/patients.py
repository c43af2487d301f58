#!/usr/bin/env python3
"""The patient registry (issue 14): a CSV import of 10,000 patients (target ≤ 10 s, with
its per-line report), then search p95 over a list of 100,000 (target ≤ 30 ms), on SQLite
and, when ``MSSANTE_DEVSTACK_POSTGRES_URL`` is set, PostgreSQL. The last line is one JSON
object."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.engines import per_engine  # noqa: E402

NAMES = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
         "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
         "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRE", "LEFEVRE", "MERCIER", "DUPONT", "LAMBERT",
         "BONNET", "FRANCOIS", "MARTINEZ"]
GIVEN = ["Jeanne", "Marie", "Paul", "Louis", "Hélène", "Léa", "Hugo", "Emma", "Jules", "Chloé",
         "Lucas", "Zoé"]


def csv_text(count: int, seed: int) -> str:
    from mss.ins import ins_key

    rng = random.Random(seed)
    lines = ["INS;Type INS;Nom naissance;Prénoms;Date naissance;Sexe"]
    for number in range(count):
        # sex, year, month, department, commune, order: unique by (commune, order) = number
        body = (f"{rng.choice('12')}{rng.randint(30, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}"
                f"{number // 1000:03d}{number % 1000:03d}")
        key = ins_key(body) if number % 100 else "00"  # one line in a hundred: a bad key
        name, given = rng.choice(NAMES) + (str(number % 7) if number % 7 else ""), rng.choice(GIVEN)
        lines.append(f"{body}{key};NIR;{name};{given} {rng.choice(GIVEN)};"
                     f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1930, 2020)};"
                     f"{rng.choice('FM')}")
    return "\n".join(lines) + "\n"


def measure() -> dict[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from apps.accounts.models import User
    from apps.patients.selectors import patient_search
    from apps.patients.services import patient_import_csv

    call_command("migrate", verbosity=0)
    doctor = User.objects.create(username="bench", idnat="899700123450")
    imports = []
    for run in range(3):
        owner = User.objects.create(username=f"import-{run}", idnat=f"8997001234{run:02d}")
        report = patient_import_csv(text=csv_text(10_000, seed=run), owner=owner)
        imports.append(report.seconds)
    refused = len(report.refused)
    big = patient_import_csv(text=csv_text(101_011, seed=42), owner=doctor)  # 1 line in 100 refused
    queries = ["mar", "dupont", "dupont je", "lef", "roux lea", "12", "1 45", "28/03/1979", "gar",
               "fournier hug", "be", "mo"] * 10
    patient_search(owner=doctor, query="warm")
    times = []
    for query in queries:
        started = time.perf_counter()
        patient_search(owner=doctor, query=query)
        times.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return {"import_10k_s_median": statistics.median(imports), "import_10k_s_runs": imports,
            "import_10k_refused_lines": refused, "registry_rows": big.added,
            "search_100k_p50_ms": round(statistics.median(ordered), 2),
            "search_100k_p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2)}


def main() -> int:
    result: dict[str, object] = {}
    for engine, figures in per_engine(__file__, measure, "patients_bench").items():
        print(engine, figures)
        result.update({f"{engine}_{name}": value for name, value in figures.items()})
    result.update({"target_import_10k_s": 10, "target_search_p95_ms": 30})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
