"""The référentiel's page (issue 25): every requirement listed with the tests that prove it,
the committed page equal to the generated one, and a requirement whose test fails, or that has
none, reported unmet by ``manage.py conformance`` (exit status 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from apps.webmail.conformance import marked_tests_read, missing, outcomes_read, page_render, rows_build
from mss.referentiel import REQUIREMENTS, Scope

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_page_is_what_a_green_run_writes() -> None:
    marked = marked_tests_read(ROOT)
    expected = page_render(rows_build(marked=marked, outcomes=None))
    committed = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    assert committed == expected, "docs/conformance.md is stale: run `make conformance`"


def test_every_eco_requirement_is_listed_and_each_applicable_one_has_tests() -> None:
    ids = [r.id for r in REQUIREMENTS]
    assert len(ids) == len(set(ids))
    assert sum(i.startswith("ECO.") for i in ids) >= 34
    assert all(r.reason for r in REQUIREMENTS if r.scope is Scope.NOT_APPLICABLE)
    assert all((ROOT / path).exists() for r in REQUIREMENTS for path in r.code), "a code path moved"
    rows = rows_build(marked=marked_tests_read(ROOT), outcomes=None)
    assert missing(rows) == []


def test_a_failed_or_absent_test_leaves_its_requirement_unmet(tmp_path: Path) -> None:
    marked = {"tests/a.py::test_x": ["ECO.2.2.1"], "tests/b.py::test_y": ["ECO.2.2.1", "ECO.2.2.3"]}
    (tmp_path / "1.json").write_text(json.dumps({"tests": {
        "tests/a.py::test_x[1]": {"requirements": ["ECO.2.2.1"], "outcome": "passed"},
        "tests/a.py::test_x[2]": {"requirements": ["ECO.2.2.1"], "outcome": "failed"},
        "tests/b.py::test_y": {"requirements": ["ECO.2.2.1", "ECO.2.2.3"], "outcome": "skipped"}}}))
    (tmp_path / "2.json").write_text(json.dumps({"tests": {
        "tests/b.py::test_y": {"requirements": ["ECO.2.2.1", "ECO.2.2.3"], "outcome": "passed"}}}))
    outcomes = outcomes_read(tmp_path)
    assert outcomes == {"tests/a.py::test_x": "failed", "tests/b.py::test_y": "passed"}
    rows = {r.requirement.id: r for r in rows_build(marked=marked, outcomes=outcomes)}
    assert rows["ECO.2.2.1"].status == "non satisfaite"  # test_x failed: test_y passing does not outweigh it
    assert rows["ECO.2.2.3"].status == "satisfaite"  # test_y skipped on one database, passed on the other
    assert rows["ECO.2.2.4"].status == "non satisfaite"
    assert rows["ECO.2.2.5"].status == "non applicable"
    only_failed = rows_build(marked={"tests/a.py::test_x": ["ECO.2.2.1"]}, outcomes=outcomes)
    assert "ECO.2.2.1" in missing(only_failed)
    assert "✗ `tests/a.py::test_x`" in page_render(only_failed)


def _pytest(tmp_path: Path, body: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(body)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run([sys.executable, "-m", "pytest", str(tmp_path / "test_probe.py"), "-q",
                           "-p", "tests.requirements_plugin", "-p", "no:cacheprovider", "-c",
                           str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_the_plugin_refuses_an_unknown_id_and_records_outcomes(tmp_path: Path) -> None:
    typo = _pytest(tmp_path, 'import pytest\n\n@pytest.mark.requirement("ECO.9.9.9")\n'
                             'def test_a():\n    assert True\n')
    assert typo.returncode != 0 and "exigence inconnue du référentiel : ECO.9.9.9" in typo.stdout + typo.stderr
    out = tmp_path / "results"
    run = _pytest(tmp_path, 'import pytest\n\n@pytest.mark.requirement("ECO.2.2.1")\n'
                            'def test_a():\n    assert True\n\n'
                            '@pytest.mark.requirement("ECO.2.2.3")\ndef test_b():\n    assert False\n',
                  MSSANTE_CONFORMANCE_DIR=str(out))
    assert run.returncode == 1
    recorded = outcomes_read(out)
    assert {k.rsplit("::", 1)[1]: v for k, v in recorded.items()} == {"test_a": "passed", "test_b": "failed"}


def test_the_command_says_which_mandatory_requirement_lacks_a_passing_test(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "run.json").write_text(json.dumps({"tests": {
        "tests/unit/mail/test_replies.py::test_reply_quotes_the_text_and_threads":
            {"requirements": ["ECO.2.2.4"], "outcome": "failed"}}}))
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    done = subprocess.run([sys.executable, "manage.py", "conformance", "--results", str(results), "--out",
                           str(tmp_path / "page.md")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 1
    assert "exigences obligatoires sans test réussi, ou avec un test en échec" in done.stderr
    assert "ECO.2.2.4" in done.stderr
    assert "| ECO.2.2.4 |" in (tmp_path / "page.md").read_text(encoding="utf-8")
