"""The layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) pass
on the tree, and break as soon as a forbidden import is added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(tree)), timeout=120)


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("apps/core/errors.py", "from apps.mail import models", "core imports no app"),
    ("apps/accounts/models.py", "import apps.webmail.views", "Apps depend downward only"),
    ("apps/mail/models.py", "from apps.webmail import selectors", "Apps depend downward only"),
    ("apps/structures/services.py", "from apps.accounts import models as accounts", "downward"),
    ("mailproto/imap/errors.py", "import django.conf", "no Django"),
    ("mailproto/mime/headers.py", "from apps.core.errors import ApplicationError", "nothing from the apps"),
    ("apps/trust/whitelist.py", "import django.conf", "imports no Django"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, line: str,
                                              contract: str) -> None:
    for name in ("apps", "mailproto", "mssante_web"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert _lint_imports(tmp_path).returncode == 0  # the copy itself is clean
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and contract in result.stdout, result.stdout


MODULE_MAX_LINES = 400  # past this a module becomes a package by concern
VIEW_MAX_LINES = 40
VIEW_MEDIAN_MAX_LINES = 15


def test_no_module_over_400_lines() -> None:
    long = {str(path.relative_to(ROOT)): lines for root in ("apps", "mailproto")
            for path in (ROOT / root).rglob("*.py")
            if "migrations" not in path.parts
            and (lines := len(path.read_text().splitlines())) > MODULE_MAX_LINES}
    assert not long, f"split these into packages by concern: {long}"


def _body_lines(function: object) -> int:
    """Lines of a function's body that do something: no docstring, blank line or comment."""
    import ast
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(inspect.unwrap(function)))  # type: ignore[arg-type]
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
        node.body[0].value, ast.Constant) else node.body
    lines = source.splitlines()[body[0].lineno - 1:node.end_lineno]
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def _site_views() -> dict[str, object]:
    """Every view of the project's own URLs (Django's admin and the OIDC library's aside)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    views: dict[str, object] = {}

    def walk(patterns: list[object]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                module = getattr(pattern.callback, "__module__", "")
                if module.startswith(("apps.", "mssante_web.")):
                    views[f"{module}.{pattern.callback.__name__}"] = pattern.callback

    walk(get_resolver().url_patterns)
    return views


def test_views_are_thin() -> None:
    """Views parse input, call one service or selector, render: the median view body stays
    at 15 lines or fewer, and none passes 40."""
    import statistics

    sizes = {name: _body_lines(view) for name, view in _site_views().items()}
    assert len(sizes) > 25  # every page was found, not only a few
    assert {name: size for name, size in sizes.items() if size > VIEW_MAX_LINES} == {}
    assert statistics.median(sizes.values()) <= VIEW_MEDIAN_MAX_LINES, sorted(sizes.items(), key=lambda x: x[1])


def test_view_size_is_measured_on_the_body() -> None:
    def view(request: object) -> int:
        """A docstring does not count."""
        # nor a comment
        total = 1

        return total

    assert _body_lines(view) == 2


def test_tasks_enqueued_by_name_exist() -> None:
    """Services queue Celery tasks by name (tasks import services, not the other way): a
    renamed task must not leave them sending to nobody."""
    from apps.mail.services import outbox, sync_runs
    from mssante_web.celery import app

    app.loader.import_default_modules()
    assert {sync_runs.SYNC_TASK, outbox.SEND_TASK} <= set(app.tasks)
