"""Runs the Dockerfile's own Python build in a clean venv and boots the result like the
image's `web` role (gunicorn), so the container recipe cannot rot unnoticed."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ENV

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_image_build_steps_and_web_role(tmp_path: Path, devstack: dict[str, str]) -> None:
    app = tmp_path / "app"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (app / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, app / name)
    venv = tmp_path / "venv"
    subprocess.run(["sh", str(app / "docker" / "build-python.sh")], check=True, timeout=600,
                   env=dict(os.environ, VENV=str(venv), APP=str(app)))
    assert (app / "locale" / "fr" / "LC_MESSAGES" / "django.mo").exists()
    assert (app / "static_collected" / "staticfiles.json").exists()

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MSSANTE_"))}
    env.update(ENV, PATH=f"{venv}/bin:{env['PATH']}", DJANGO_SECRET_KEY="x" * 50,
               DJANGO_ALLOWED_HOSTS="webmail.example.fr,127.0.0.1", PORT=str(port),
               WEB_CONCURRENCY="1",
               DJANGO_SECURE_SSL_REDIRECT="0",
               DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
               DJANGO_STATIC_ROOT=str(app / "static_collected"))
    check = subprocess.run([f"{venv}/bin/python", "manage.py", "check", "--deploy",
                            "--fail-level", "ERROR"], cwd=app, env=env, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
    web = subprocess.Popen(["sh", "docker/entrypoint.sh", "web"], cwd=app, env=env,
                           stdout=open(tmp_path / "web.log", "wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise AssertionError((tmp_path / "web.log").read_text()) from None
                time.sleep(0.3)
        # The image's own HEALTHCHECK command, as Docker runs it: it must name an allowed
        # host, or a site serving only its public name answers 400 and is killed.
        line = next(x for x in (app / "Dockerfile").read_text().splitlines() if "CMD [\"python\", \"-c\"" in x)
        code = json.loads(line.split("CMD", 1)[1])[2]
        probe = subprocess.run([f"{venv}/bin/python", "-c", code], env=env, timeout=10,
                               capture_output=True, text=True)
        assert probe.returncode == 0, probe.stderr
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion/", timeout=5) as r:
            page = r.read().decode()
        assert "Se connecter avec Pro Santé Connect" in page  # compiled French catalogue
        css = next(p for p in page.split('"') if p.startswith("/static/css/app.") and p.endswith(".css"))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{css}", timeout=5) as r:
            assert r.status == 200 and "max-age" in r.headers["Cache-Control"]
    finally:
        web.terminate()
        web.wait(timeout=20)
