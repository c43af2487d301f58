"""The open page's event stream (issue 28), through the real Redis: a sync that changed the
mailbox is relayed as a ``changed`` event; another's mailbox is not found; a server that
cannot hold a stream without holding a whole worker (gunicorn's sync workers) answers 204,
and so does a site with push off (the page then polls)."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.test import Client, override_settings

from apps.accounts.models import User
from apps.mail.engine.news import mailbox_changed_publish
from apps.mail.models import Mailbox
from tests.conftest import ENV, IDENTITIES, psc_force_login, test_database_url

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_change_reaches_the_open_stream(client: Client, demo_accounts: None) -> None:
    nurse = Mailbox.objects.get(address=IDENTITIES["nurse"]["mailbox"])
    other = Mailbox.objects.get(address=IDENTITIES["gp"]["mailbox"])
    psc_force_login(client, User.objects.get(pk=nurse.owner_id))
    url = f"/bal/{nurse.pk}/evenements/"

    assert client.get(url).status_code == 204  # the test client is a single-threaded server
    threaded = {"wsgi.multithread": True}
    assert client.get(f"/bal/{other.pk}/evenements/", **threaded).status_code == 404
    with override_settings(MSSANTE_PUSH=False):
        assert client.get(url, **threaded).status_code == 204

    response = client.get(url, **threaded)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-store" and response["X-Accel-Buffering"] == "no"
    stream = iter(response.streaming_content)  # type: ignore[attr-defined]
    assert next(stream).startswith(b"retry: ")  # subscribed once this is out
    threading.Timer(0.3, mailbox_changed_publish, kwargs={"mailbox_id": other.pk, "folders": ["INBOX"]}).start()
    threading.Timer(0.6, mailbox_changed_publish, kwargs={"mailbox_id": nurse.pk, "folders": ["INBOX"]}).start()
    assert next(stream) == b'event: changed\ndata: {"folders": ["INBOX"]}\n\n'  # hers only
    response.close()


def test_the_push_role_serves_the_stream_under_asgi(client: Client, demo_accounts: None, tmp_path: Any) -> None:
    """The ``push`` role (uvicorn, the ASGI application): the same stream, from a coroutine."""
    nurse = Mailbox.objects.get(address=IDENTITIES["nurse"]["mailbox"])
    psc_force_login(client, User.objects.get(pk=nurse.owner_id))
    port, name = free_port(), settings.SESSION_COOKIE_NAME
    env = dict(os.environ, **ENV, DATABASE_URL=test_database_url(), PORT=str(port),
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    log = open(tmp_path / "push.log", "wb")  # noqa: SIM115 - closed below
    push = subprocess.Popen(["sh", "docker/entrypoint.sh", "push", "--host", "127.0.0.1"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/bal/{nurse.pk}/evenements/", stream=True,
                                        cookies={name: client.cookies[name].value}, timeout=10)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, (tmp_path / "push.log").read_text()
                time.sleep(0.3)
        assert response.status_code == 200, (tmp_path / "push.log").read_text()
        lines = response.iter_lines()
        assert next(lines).startswith(b"retry: ")
        threading.Timer(0.5, mailbox_changed_publish, kwargs={"mailbox_id": nurse.pk, "folders": ["INBOX"]}).start()
        received = [line for line in itertools.islice(lines, 4) if line.startswith((b"event", b"data"))]
        assert received[:2] == [b"event: changed", b'data: {"folders": ["INBOX"]}']
        response.close()
    finally:
        push.terminate()
        push.wait(timeout=20)
        log.close()
