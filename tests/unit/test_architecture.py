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
    ("apps/mail/models.py", "from apps.flows import selectors", "Apps depend downward only"),
    ("apps/structures/services.py", "from apps.accounts import models as accounts", "downward"),
    ("mailproto/imap/errors.py", "import django.conf", "no Django"),
    ("mailproto/mime/headers.py", "from apps.core.errors import ApplicationError", "nothing from the apps"),
    ("mss/headers.py", "from django.conf import settings", "nothing from the apps"),
    ("apps/trust/whitelist.py", "import django.conf", "imports no Django"),
    ("apps/mail/engine/pool.py", "from apps.mail.services import outbox", "does not reach"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, line: str,
                                              contract: str) -> None:
    for name in ("apps", "mailproto", "mss", "mssante_web"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert _lint_imports(tmp_path).returncode == 0  # the copy itself is clean
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and contract in result.stdout, result.stdout


MODULE_MAX_LINES = 400  # past this a module becomes a package by concern
VIEW_MAX_LINES = 15


def test_no_module_over_400_lines() -> None:
    long = {str(path.relative_to(ROOT)): lines for root in ("apps", "mailproto", "mss")
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
    """Views parse input, call one flow, render (issue 24): no view body over 15 lines."""
    sizes = {name: _body_lines(view) for name, view in _site_views().items()}
    assert len(sizes) > 25  # every page was found, not only a few
    assert {name: size for name, size in sizes.items() if size > VIEW_MAX_LINES} == {}


def _project_calls(function: object) -> int:
    """The most calls into the project's other rooms (a flow, a selector, a service: a
    function imported from ``apps`` outside the view's own app) that one request makes through this
    view, on each path through the ifs that return early; a helper of the view's module
    counts for the calls it makes."""
    import ast
    import inspect
    import sys
    import textwrap

    function = inspect.unwrap(function)  # type: ignore[arg-type]
    module = sys.modules[function.__module__]  # type: ignore[attr-defined]
    own_app = ".".join(function.__module__.split(".")[:2])  # type: ignore[attr-defined]
    tree = ast.parse(inspect.getsource(module))
    imported = {alias.asname or alias.name: node.module or "" for node in tree.body
                if isinstance(node, ast.ImportFrom) and node.level == 0 for alias in node.names}
    helpers = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    def calls(node: ast.AST) -> int:
        if isinstance(node, ast.IfExp):
            return calls(node.test) + max(calls(node.body), calls(node.orelse))
        count = 0
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            source = imported.get(name, "")
            # A function, not a class (a flow's typed input, an exception).
            if source.startswith("apps.") and not source.startswith(own_app + ".") and name[0].islower():
                count += 1
            elif name in helpers:
                count += path(helpers[name].body)
        return count + sum(calls(child) for child in ast.iter_child_nodes(node))

    def path(statements: list[ast.stmt]) -> int:
        total = 0
        for index, statement in enumerate(statements):
            if isinstance(statement, ast.If):
                branches = path(statement.body), path(statement.orelse)
                if statement.body and isinstance(statement.body[-1], ast.Return):
                    rest = path(statements[index + 1:])
                    return total + calls(statement.test) + max(branches[0], branches[1] + rest)
                total += calls(statement.test) + max(branches)
            else:
                total += calls(statement)
        return total

    node = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    assert isinstance(node, ast.FunctionDef)
    return path(node.body)


def test_each_view_calls_one_flow() -> None:
    """A page's work is one use case: no view reaches more than one flow, selector or
    service on any request's path (issue 24: the message page made 16 project calls)."""
    counts = {name: _project_calls(view) for name, view in _site_views().items()}
    assert counts["apps.webmail.reader_views.message"] == 1
    assert {name: count for name, count in counts.items() if count > 1} == {}


def test_the_call_measure_sees_flows_helpers_and_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "apps_sample_views.py").write_text(
        "from apps.flows.listing import folder_page_get, inbox_open\n"
        "from django.shortcuts import render\n\n\n"
        "def _helper(request):\n    return inbox_open(actor=request)\n\n\n"
        "def two(request):\n    render(request)\n"
        "    return inbox_open(actor=request) + folder_page_get(actor=request)\n\n\n"
        "def through_a_helper(request):\n    return _helper(request) + folder_page_get(actor=request)\n\n\n"
        "def early_return(request):\n    if request:\n        return inbox_open(actor=request)\n"
        "    return folder_page_get(actor=request) if request else _helper(request)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    sample = importlib.import_module("apps_sample_views")
    assert (_project_calls(sample.two), _project_calls(sample.through_a_helper)) == (2, 2)
    assert _project_calls(sample.early_return) == 1


def test_no_view_module_imports_models() -> None:
    """Views reach data through flows only: no view module (``views``, ``*_views``)
    imports a models module. (The admin's, the probes' and the OpenID callback's modules are
    not view modules: Django's admin and the OIDC library work on models.)"""
    import ast
    import inspect
    import sys

    offenders = set()
    modules = {inspect.unwrap(view).__module__ for view in _site_views().values()}  # type: ignore[arg-type]
    view_modules = {name for name in modules if name.rsplit(".", 1)[-1].endswith("views")}
    assert len(view_modules) >= 9  # the pages' modules were all found
    for name in view_modules:
        module = sys.modules[name]
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            if any(name == "models" or name.endswith(".models") for name in names):
                offenders.add(module.__name__)
            if isinstance(node, ast.ImportFrom) and any(alias.name == "models" for alias in node.names):
                offenders.add(module.__name__)
    assert offenders == set(), offenders


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
    from apps.mail.engine import sync_runs
    from apps.mail.services import outbox
    from mssante_web.celery import app

    app.loader.import_default_modules()
    assert {sync_runs.SYNC_TASK, outbox.SEND_TASK} <= set(app.tasks)
