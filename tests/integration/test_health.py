from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings

from apps.trust.services import whitelist_import
from devstack import stack
from mssante_web import health

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    health._cached = None


def test_healthz_is_live(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_redis_and_imap(client: Client, devstack: dict[str, str]) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database", "redis", "imap"}


@override_settings(REDIS_URL="redis://127.0.0.1:1/0", MSSANTE_IMAP_PORT=1)
def test_readyz_reports_what_is_down_without_secrets(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["imap"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert "redis://" not in response.content.decode()


def test_readyz_answers_probe_storms_from_a_short_lived_copy(
        client: Client, devstack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[int] = []
    real = health.CHECKS["imap"]
    monkeypatch.setitem(health.CHECKS, "imap", lambda: (opened.append(1), real())[1])
    with override_settings(MSSANTE_READYZ_CACHE_SECONDS=60):
        for _ in range(5):
            assert client.get("/readyz").json()["status"] == "ready"
    assert len(opened) == 1
    with override_settings(MSSANTE_READYZ_CACHE_SECONDS=0):
        client.get("/readyz")
        client.get("/readyz")
    assert len(opened) == 3


def test_readyz_reports_the_whitelist_size_and_age(client: Client) -> None:
    empty = client.get("/readyz").json()
    # the devstack sets MSSANTE_ANNUAIRE_URL: an empty directory is an import still to come
    assert empty["whitelist"]["domains"] == 0 and empty["warnings"] == ["whitelist-empty", "directory-empty"]
    data = (stack.DEVSTACK / "data" / "listeblanche-devstack.xml").read_bytes()
    whitelist_import(data=data, source=str(Path("listeblanche-devstack.xml")))
    health._cached = None
    loaded = client.get("/readyz").json()
    assert loaded["whitelist"]["domains"] == 4 and loaded["whitelist"]["age_hours"] == 0.0
    assert loaded["whitelist"]["stale"] is False and loaded["warnings"] == ["directory-empty"]


def test_a_first_start_asks_a_worker_for_the_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 27, point 15: the first start imported the whitelist but not the directory."""
    from django.core.management import call_command

    from apps.core import queue

    asked: list[str] = []
    monkeypatch.setattr(queue, "task_enqueue", lambda *, name, args, countdown=None: asked.append(name))
    call_command("annuaire_import", if_empty_in_background=True)
    assert asked == ["trust.annuaire_refresh_task"]
