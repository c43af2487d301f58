"""Loaded with ``-p tests.requirements_plugin``: the ``requirement`` marker that ties a test to
the référentiel (``mss.referentiel``), and the record of how those tests ended in this run.

An id that is not in the référentiel's table stops the run at collection (a typo would
otherwise prove nothing silently). When ``MSSANTE_CONFORMANCE_DIR`` is set (``make test``
sets it), each pytest process writes there one JSON file: for every test carrying the
marker, its ids and its outcome; ``manage.py conformance`` joins the files of a run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from mss.referentiel import BY_ID

_KEY = pytest.StashKey[dict[str, dict[str, object]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the test proves these requirements of the référentiel (mss.referentiel)")
    config.stash[_KEY] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    record = config.stash[_KEY]
    for item in items:
        ids = [rid for mark in item.iter_markers("requirement") for rid in mark.args]
        unknown = [rid for rid in ids if rid not in BY_ID]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: exigence inconnue du référentiel : {', '.join(unknown)}")
        if ids:
            record[item.nodeid] = {"requirements": sorted(set(ids)), "outcome": "not run"}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _record_of(report)
    if entry is None:
        return
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and entry["outcome"] != "failed":
        entry["outcome"] = "skipped"
    elif report.when == "call" and report.passed and entry["outcome"] == "not run":
        entry["outcome"] = "passed"


_CONFIG: list[pytest.Config] = []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG[:] = [session.config]


def _record_of(report: pytest.TestReport) -> dict[str, object] | None:
    return _CONFIG[0].stash[_KEY].get(report.nodeid) if _CONFIG else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    folder = os.environ.get("MSSANTE_CONFORMANCE_DIR")
    record = session.config.stash[_KEY]
    if not folder or not record:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    database = "postgresql" if os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")) else "sqlite"
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{database}.json"
    (path / name).write_text(json.dumps({"database": database, "tests": record}, indent=1), encoding="utf-8")
