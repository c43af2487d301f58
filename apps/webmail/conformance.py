"""``docs/conformance.md`` from the référentiel's table and the tests that name its ids.

Which test proves what is read from the test files themselves (their
``@pytest.mark.requirement(...)`` decorators and module ``pytestmark``), not from a second list
to keep in step; whether each passed comes from the JSON files the test plugin wrote during the
run (``tests/requirements_plugin.py``). A parametrised test counts as passed when every case
that ran passed, and a run on SQLite then on PostgreSQL counts as one run.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mss.referentiel import BY_ID, REQUIREMENTS, Requirement, Scope

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "skipped", "not run"
_SIGN = {PASSED: "✓", FAILED: "✗", SKIPPED: "○", NOT_RUN: "·"}


@dataclass(frozen=True, slots=True)
class Row:
    requirement: Requirement
    status: str
    tests: tuple[tuple[str, str], ...]  # (test id, outcome)


def _requirement_ids(node: ast.expr) -> list[str]:
    """The ids of every ``pytest.mark.requirement("…", …)`` call inside ``node``."""
    ids: list[str] = []
    for call in ast.walk(node):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "requirement"):
            ids += [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return ids


def marked_tests_read(root: Path) -> dict[str, list[str]]:
    """``{"tests/…/test_x.py::test_y": [ids]}`` for every test carrying the marker."""
    found: dict[str, list[str]] = {}
    for path in sorted((root / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_ids = [rid for stmt in tree.body if isinstance(stmt, ast.Assign)
                      and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets)
                      for rid in _requirement_ids(stmt.value)]
        relative = path.relative_to(root).as_posix()
        for prefix, function in _test_functions(tree):
            ids = module_ids + [rid for d in function.decorator_list for rid in _requirement_ids(d)]
            if ids:
                found[f"{relative}::{prefix}{function.name}"] = sorted(set(ids))
    return found


def _test_functions(tree: ast.Module) -> Iterable[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name.startswith("test_"):
            yield "", stmt
        elif isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
            yield from ((f"{stmt.name}::", inner) for inner in stmt.body
                        if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef)
                        and inner.name.startswith("test_"))


def outcomes_read(folder: Path) -> dict[str, str]:
    """One outcome per test function over every file of the run: failed if any case failed
    anywhere, else passed if one passed, else skipped or not run."""
    seen: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.json")):
        for nodeid, entry in json.loads(path.read_text(encoding="utf-8"))["tests"].items():
            seen.setdefault(nodeid.split("[", 1)[0], set()).add(str(entry["outcome"]))
    return {test: next(o for o in (FAILED, PASSED, SKIPPED, NOT_RUN) if o in kinds)
            for test, kinds in seen.items()}


def rows_build(*, marked: Mapping[str, list[str]], outcomes: Mapping[str, str] | None) -> list[Row]:
    """With ``outcomes`` None every marked test counts as passed: the page as a green run
    writes it, which the committed page must equal."""
    by_requirement: dict[str, list[str]] = {}
    for test, ids in marked.items():
        for rid in ids:
            by_requirement.setdefault(rid, []).append(test)
    rows = []
    for requirement in REQUIREMENTS:
        tests = tuple((t, PASSED if outcomes is None else outcomes.get(t, NOT_RUN))
                      for t in sorted(by_requirement.get(requirement.id, [])))
        if requirement.scope is Scope.NOT_APPLICABLE:
            status = "non applicable"
        elif any(outcome == PASSED for _, outcome in tests) and not any(o == FAILED for _, o in tests):
            status = "satisfaite"  # a failing proof is not outweighed by a passing one
        else:
            status = "non satisfaite"
        rows.append(Row(requirement=requirement, status=status, tests=tests))
    return rows


def unknown_ids(marked: Mapping[str, list[str]]) -> list[str]:
    return sorted({rid for ids in marked.values() for rid in ids if rid not in BY_ID})


def page_render(rows: list[Row]) -> str:
    met = sum(r.status == "satisfaite" for r in rows)
    na = sum(r.status == "non applicable" for r in rows)
    lines = [
        "# Conformité au référentiel « Clients de messagerie sécurisée de santé »",
        "",
        "Généré par `make conformance` (`python manage.py conformance`) ; ne pas modifier à la main.",
        "Une ligne par exigence (ECO.* du référentiel v1.0.1, intégration ANS v1.1.3, Ségur SC.SSI,",
        "règles de Mon espace santé) : le code qui la met en œuvre et les tests qui la prouvent",
        "(`@pytest.mark.requirement`). ✓ réussi, ✗ échoué, ○ ignoré, · non lancé dans cette exécution.",
        "",
        f"**{met} satisfaites, {na} non applicables, {len(rows) - met - na} non satisfaites "
        f"sur {len(rows)} exigences.**",
        "",
        "| Exigence | Texte | Statut | Code | Tests |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        r = row.requirement
        status = f"non applicable : {r.reason}" if r.scope is Scope.NOT_APPLICABLE else row.status
        code = "<br>".join(f"`{c}`" for c in r.code)
        tests = "<br>".join(f"{_SIGN[o]} `{t}`" for t, o in row.tests)
        lines.append(f"| {r.id} | {r.text} | {status} | {code} | {tests} |")
    return "\n".join(lines) + "\n"


def missing(rows: list[Row]) -> list[str]:
    """Mandatory requirements without a passing test, or with a failing one."""
    return [row.requirement.id for row in rows if row.status == "non satisfaite"]
