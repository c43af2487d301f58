"""No Docker engine runs here: the Dockerfile's structure is checked instead, and its
install steps are run for real by tests/integration/test_container_build.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for op, arg in instructions():
        if op == "FROM":
            result.append([])
        result[-1].append((op, arg))
    return result


def test_multi_stage_with_pinned_bases() -> None:
    froms = [arg for op, arg in instructions() if op == "FROM"]
    assert len(froms) >= 2
    for base in froms:
        image = base.split()[0]
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", image), image


def test_runtime_stage_runs_unprivileged_gunicorn_with_a_healthcheck() -> None:
    runtime = stages()[-1]
    ops = dict(runtime)
    assert "USER" in ops and ops["USER"].split(":")[0] not in ("root", "0")
    assert "/healthz" in ops.get("HEALTHCHECK", "")
    assert ops["ENTRYPOINT"] == '["/app/docker/entrypoint.sh"]'
    assert not any(op == "RUN" and "pip install" in arg for op, arg in runtime)
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    for role in ("web)", "worker)", "beat)", "watch)", "manage.py mail_watch", "gunicorn mssante_web.wsgi",
                 "celery -A mssante_web"):
        assert role in entrypoint


def test_build_stage_uses_the_script_ci_runs() -> None:
    build = stages()[0]
    runs = [arg for op, arg in build if op == "RUN"]
    assert any("docker/build-python.sh" in r for r in runs)
    script = (ROOT / "docker" / "build-python.sh").read_text()
    assert "requirements.txt" in script and "compilemessages" in script and "collectstatic" in script


@pytest.mark.parametrize("path", [".venv", ".devstack", ".git", ".env"])
def test_secrets_and_local_state_stay_out_of_the_build_context(path: str) -> None:
    assert path in (ROOT / ".dockerignore").read_text().split()


def test_compose_has_every_role_and_no_hardcoded_password() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    for service in ("web:", "worker:", "beat:", "watch:", "redis:", "postgres:"):
        assert f"\n  {service}" in compose
    assert "POSTGRES_PASSWORD:?" in compose
    assert not re.search(r"POSTGRES_PASSWORD:\s*[A-Za-z0-9]", compose)


def test_compose_redis_requires_a_password() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '"--requirepass", "${REDIS_PASSWORD:?' in compose
    assert compose.count("REDIS_PASSWORD: ${REDIS_PASSWORD:?") >= 2  # the app's roles get it


def test_gunicorn_trusts_forwarded_headers_only_from_configured_proxies() -> None:
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert "--forwarded-allow-ips '*'" not in entrypoint
    assert '--forwarded-allow-ips "${MSSANTE_TRUSTED_PROXIES:-127.0.0.1}"' in entrypoint
    for step in ("superuser_ensure", "whitelist_import --if-empty"):
        assert step in entrypoint


def test_the_scale_profile_runs_a_worker_pool_for_every_queue() -> None:
    """Issue 28: every queue the settings route to has a pool in the compose file's "scale"
    profile (a queue nobody consumes would hold its tasks forever)."""
    from django.conf import settings

    compose = (ROOT / "docker-compose.yml").read_text()
    consumed = set()
    for queues in re.findall(r'command: \["worker", "-Q", "([a-z,]+)"', compose):
        consumed |= set(queues.split(","))
    assert consumed == {"celery", *settings.TASK_QUEUES}


def test_the_scale_profile_runs_two_watchers_and_two_sync_pools() -> None:
    """Issue 28: watchers share the mailboxes; the scale profile shows it with two of them."""
    compose = (ROOT / "docker-compose.yml").read_text()
    watchers = re.findall(r'\n  ([a-z0-9-]+):\n    <<: \*app\n(?:    profiles: \["scale"\]\n)?    command: \["watch"\]',
                          compose)
    assert len(watchers) == 2, watchers
    sync = compose.split("  worker-sync:", 1)[1].split("\n  worker-index:", 1)[0]
    assert "replicas: 2" in sync
