"""The production example (.env.example) passes ``manage.py check --deploy`` with no issue
at all, read from the environment only, as an operator's container would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tls_material import authority

ROOT = Path(__file__).resolve().parents[2]


def example_env() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = re.sub(r"\s+#.*$", "", value).strip()
    return values


def test_production_example_passes_check_deploy(tmp_path: Path) -> None:
    ca = tmp_path / "chain.pem"
    ca.write_bytes(authority().pem)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "MSSANTE_", "REDIS_", "CELERY_", "DATABASE_"))}
    static = tmp_path / "static_collected"  # the image's collectstatic output
    static.mkdir()
    (static / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    env.update(example_env(), MSSANTE_TLS_CA_FILE=str(ca), DJANGO_STATIC_ROOT=str(static))
    assert env["DJANGO_DEBUG"] == "0"
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                             "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.requirement("ECO.2.4.3")
def test_the_example_refuses_to_start_without_its_nil(tmp_path: Path) -> None:
    ca = tmp_path / "chain.pem"
    ca.write_bytes(authority().pem)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "MSSANTE_", "REDIS_", "CELERY_", "DATABASE_"))}
    env.update(example_env(), MSSANTE_TLS_CA_FILE=str(ca), MSSANTE_NIL="")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "mssante.E004" in result.stderr
