"""A real Celery worker killed while the business software holds its document, then the
software down, then back (issue 29): the document stays pending (its attempt was recorded
before the exchange), the dead worker's lease frees the link within its time, and the
document arrives in the software once — sent again under the same control id, which the
software acknowledges without keeping it twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client

from apps.core.locks import redis_client
from apps.integration.models import DocumentDelivery, IntegrationEndpoint
from apps.integration.services import integration_run
from apps.mail import services
from apps.mail.models import Mailbox
from devstack import stack
from mssante_web.celery import app
from tests.conftest import ENV, PSCSim, test_database_url
from tests.integration.test_business_software import DUI_BOX, STATE, dui, received, send_document

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
__all__ = ["dui"]  # the fixture, used by name
ROOT = Path(__file__).resolve().parents[2]
LEASE = 6


def wait_until(check: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_a_worker_killed_mid_send_then_a_software_down_lose_nothing_and_send_nothing_twice(
        client: Client, psc_sim: PSCSim, dui: IntegrationEndpoint, trust_data: None, tmp_path: Path) -> None:
    before = len(received())
    subject, _cda = send_document(client, receipt=False)
    services.mailbox_sync(access=services.MailAccess(mailbox=Mailbox.objects.get(address=DUI_BOX)))
    (STATE / "stall.json").write_text(json.dumps({"seconds": 120}))  # it keeps the document, answers late

    queue = f"integration-crash-{os.getpid()}"
    env = dict(os.environ, **ENV, DATABASE_URL=test_database_url(), MSSANTE_INTEGRATION_LEASE=str(LEASE),
               MSSANTE_SYNC_WRITER_PROCESS="0")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mssante_web", "worker", "--pool", "prefork", "--concurrency", "1",
         "-l", "INFO", "-n", f"{queue}@localhost", "-Q", queue, "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, start_new_session=True, stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT)
    try:
        app.send_task("integration.integration_run_task", args=[dui.pk], queue=queue)
        assert wait_until(lambda: len(received()) > before, 60), (tmp_path / "worker.log").read_text()[-3000:]
        os.killpg(worker.pid, signal.SIGKILL)  # mid-send: the software has it, its ACK is not read
        worker.wait(timeout=15)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=15)
    delivery = DocumentDelivery.objects.get(message__endpoint=dui, message__subject=subject)
    assert (delivery.state, delivery.attempts) == ("pending", 1)  # recorded before the exchange
    assert delivery.next_try_at is not None
    assert [r["control_id"] for r in received()[before:]] == [delivery.control_id]

    # The dead worker's lease runs out on its own, well before the task's time limit.
    lock = f"mssweb:integration:{dui.pk}"
    assert redis_client().exists(lock)
    assert wait_until(lambda: not redis_client().exists(lock), LEASE + 2)

    os.kill(int(stack.pid_files("test")["dui"].read_text()), signal.SIGTERM)  # the software down
    time.sleep(0.5)
    try:
        DocumentDelivery.objects.filter(pk=delivery.pk).update(next_try_at=None)  # its backoff over
        integration_run(endpoint_id=dui.pk)
        down = DocumentDelivery.objects.get(pk=delivery.pk)
        assert (down.state, down.attempts) == ("pending", 2) and "ConnectionRefused" in down.last_error
    finally:
        stack.start("test")  # and back
    DocumentDelivery.objects.filter(pk=delivery.pk).update(next_try_at=None)
    integration_run(endpoint_id=dui.pk)
    integration_run(endpoint_id=dui.pk)  # nothing due: nothing sent again
    done = DocumentDelivery.objects.get(pk=delivery.pk)
    assert (done.state, done.control_id, done.attempts) == ("accepted", delivery.control_id, 3)
    assert [r["control_id"] for r in received()[before:]] == [delivery.control_id]  # arrived once
