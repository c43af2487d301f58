"""A real Celery worker consumes tasks from the devstack's Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mssante_web.celery import app
from tests.conftest import ENV

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_worker_runs_a_task_through_redis(devstack: dict[str, str], tmp_path: Path) -> None:
    env = dict(os.environ, **ENV)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mssante_web", "worker", "--pool", "solo",
         "-l", "WARNING", "-n", f"pytest-{os.getpid()}@localhost", "--without-mingle",
         "--without-gossip"], cwd=ROOT, env=env, stdout=open(tmp_path / "worker.log", "wb"),
        stderr=subprocess.STDOUT)
    try:
        result = app.send_task("core.ping_task")
        assert result.get(timeout=30) == "pong"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
