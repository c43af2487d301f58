"""A message engineered to be slow reaches a real prefork worker. At the soft time limit the
slow message is listed unreadable and the sync finishes the rest; a task that ignores the
soft limit is killed at the hard one, acknowledged and never redelivered in a loop (its
mailbox's lock outlives it); either way the worker goes on serving others."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.mail.models import Mailbox
from mssante_web.celery import app
from tests.conftest import ENV, imap_plain, test_database_url
from tests.integration.mail_server import make_message, reset_mailbox
from tests.integration.test_mail_background import stack_lab_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
HERE = Path(__file__).resolve().parent
SOFT, HARD = 2, 5


@pytest.fixture
def slow_worker(devstack: dict[str, str], tmp_path: Path) -> Iterator[Path]:
    count = tmp_path / "stalls"
    count.touch()
    env = dict(os.environ, **ENV, DATABASE_URL=test_database_url(), SLOW_COUNT_FILE=str(count),
               MSSANTE_TASK_SOFT_TIME_LIMIT=str(SOFT), MSSANTE_TASK_TIME_LIMIT=str(HARD),
               MSSANTE_SYNC_WRITER_PROCESS="0")
    worker = subprocess.Popen(
        [sys.executable, str(HERE / "slow_worker.py"), "--pool", "prefork", "--concurrency", "1",
         "-l", "INFO", "-n", f"slow-{os.getpid()}@localhost", "--without-mingle",
         "--without-gossip"], cwd=HERE.parents[1], env=env,
        stdout=(tmp_path / "worker.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        assert app.send_task("core.ping_task").get(timeout=60) == "pong"
        yield count
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        print((tmp_path / "worker.log").read_text()[-4000:])


def lab_with(subject: str) -> Mailbox:
    lab = stack_lab_mailbox()
    reset_mailbox(lab.address)
    imap = imap_plain(lab.address)
    try:
        for name in ("Avant", subject, "Après"):
            imap.append("INBOX", make_message(subject=name))
    finally:
        imap.logout()
    return lab


def stalls(count: Path) -> int:
    return len(count.read_text().splitlines())


def test_the_slow_message_is_isolated_at_the_soft_limit(slow_worker: Path) -> None:
    from apps.mail.models import MessageSummary

    lab = lab_with("Compte rendu LENTEUR-DOCILE")
    started = time.monotonic()
    result = app.send_task("mail.mailbox_sync_task", args=[lab.pk, None, None])
    assert result.get(timeout=60) == "done"
    assert SOFT <= time.monotonic() - started < HARD
    rows = MessageSummary.objects.filter(folder__mailbox=lab, folder__name="INBOX")
    assert sorted(rows.exclude(unreadable=True).values_list("subject", flat=True)) == ["Après", "Avant"]
    assert rows.filter(unreadable=True).count() == 1
    lab.refresh_from_db()
    assert lab.sync_running_since is None and lab.last_sync_error == ""
    # The worker is free at once, and the next sync does not stall on it again.
    assert app.send_task("core.ping_task").get(timeout=10) == "pong"
    assert app.send_task("mail.mailbox_sync_task", args=[lab.pk, None, None]).get(timeout=30) == "done"
    assert stalls(slow_worker) == 1


def test_hard_limit_ends_a_stubborn_task_without_redelivery_or_a_loop(slow_worker: Path) -> None:
    from apps.mail import services

    lab = lab_with("Compte rendu LENTEUR-TENACE")
    result = app.send_task("mail.mailbox_sync_task", args=[lab.pk, None, None])
    with pytest.raises(Exception, match="TimeLimitExceeded"):
        result.get(timeout=60)
    # A new child serves the next task; the ended one is acknowledged, not redelivered.
    assert app.send_task("core.ping_task").get(timeout=30) == "pong"
    time.sleep(HARD + 2)
    assert stalls(slow_worker) == 1
    # Nor handed out again by beat or a page until its backoff has passed.
    lab.refresh_from_db()
    assert lab.last_sync_error_kind == "index" and lab.next_sync_after is not None
    assert lab.sync_running_since is None
    assert lab.pk not in [pk for pk, _ in services.mailbox_sync_candidates()]
    assert not services.mailbox_sync_enqueue(mailbox=lab, session_key=None)
    assert stalls(slow_worker) == 1
