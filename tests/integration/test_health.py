from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


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
