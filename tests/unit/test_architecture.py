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
    ("apps/mail/imap/errors.py", "import django.conf", "imports no Django"),
    ("apps/mail/mime/headers.py", "from apps.core.errors import ApplicationError", "imports no Django"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, line: str,
                                              contract: str) -> None:
    for name in ("apps", "mssante_web"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert _lint_imports(tmp_path).returncode == 0  # the copy itself is clean
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and contract in result.stdout, result.stdout
