"""A message engineered to be slow reaches a real prefork worker. At the soft time limit the
slow message is listed unreadable and the sync finishes the rest; a task that ignores the
soft limit is killed at the hard one, acknowledged and never redelivered in a loop (its
mailbox's lock outlives it); either way the worker goes on serving others."""

from __future__ import annotations

import os
import signal
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


class Worker:
    """The slow worker's own queue (no task another test left in the broker reaches it,
    no stray worker takes its tasks) and the stall counter."""

    def __init__(self, queue: str, count: Path) -> None:
        self.queue, self.count = queue, count

    def send(self, name: str, *args: object) -> object:
        # The limits travel with the task, as they do from the site (whose registry knows
        # the task): Celery puts the sender's task limits in the message.
        return app.send_task(name, args=list(args), queue=self.queue, soft_time_limit=SOFT,
                             time_limit=HARD)

    def stalls(self) -> int:
        return len(self.count.read_text().splitlines())


@pytest.fixture
def slow_worker(devstack: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    count = tmp_path / "stalls"
    count.touch()
    queue = f"slow-{os.getpid()}-{tmp_path.name}"
    env = dict(os.environ, **ENV, DATABASE_URL=test_database_url(), SLOW_COUNT_FILE=str(count),
               MSSANTE_TASK_SOFT_TIME_LIMIT=str(SOFT), MSSANTE_TASK_TIME_LIMIT=str(HARD),
               MSSANTE_SYNC_WRITER_PROCESS="0")
    worker = subprocess.Popen(
        [sys.executable, str(HERE / "slow_worker.py"), "--pool", "prefork", "--concurrency", "1",
         "-l", "INFO", "-n", f"{queue}@localhost", "-Q", queue, "--without-mingle",
         "--without-gossip"], cwd=HERE.parents[1], env=env, start_new_session=True,
        stdout=(tmp_path / "worker.log").open("wb"), stderr=subprocess.STDOUT)
    handle = Worker(queue, count)
    try:
        assert handle.send("core.ping_task").get(timeout=60) == "pong"  # type: ignore[attr-defined]
        yield handle
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a child still stalled: the whole group goes
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=15)
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


def test_the_slow_message_is_isolated_at_the_soft_limit(slow_worker: Worker) -> None:
    from apps.mail.models import MessageSummary

    lab = lab_with("Compte rendu LENTEUR-DOCILE")
    started = time.monotonic()
    result = slow_worker.send("mail.mailbox_sync_task", lab.pk, None, None)
    assert result.get(timeout=60) == "done"  # type: ignore[attr-defined]
    assert SOFT <= time.monotonic() - started < HARD
    rows = MessageSummary.objects.filter(folder__mailbox=lab, folder__name="INBOX")
    assert sorted(rows.exclude(unreadable=True).values_list("subject", flat=True)) == ["Après", "Avant"]
    assert rows.filter(unreadable=True).count() == 1
    lab.refresh_from_db()
    assert lab.sync_running_since is None and lab.last_sync_error == ""
    # The worker is free at once, and the next sync does not stall on it again.
    assert slow_worker.send("core.ping_task").get(timeout=10) == "pong"  # type: ignore[attr-defined]
    assert slow_worker.send("mail.mailbox_sync_task", lab.pk, None, None).get(timeout=30) == "done"  # type: ignore[attr-defined]
    assert slow_worker.stalls() == 1


def test_hard_limit_ends_a_stubborn_task_without_redelivery_or_a_loop(slow_worker: Worker) -> None:
    from apps.mail import services

    lab = lab_with("Compte rendu LENTEUR-TENACE")
    result = slow_worker.send("mail.mailbox_sync_task", lab.pk, None, None)
    with pytest.raises(Exception, match="TimeLimitExceeded"):
        result.get(timeout=60)  # type: ignore[attr-defined]
    # A new child serves the next task; the ended one is acknowledged, not redelivered.
    assert slow_worker.send("core.ping_task").get(timeout=30) == "pong"  # type: ignore[attr-defined]
    time.sleep(HARD + 2)
    assert slow_worker.stalls() == 1
    # Nor handed out again by beat or a page until its backoff has passed.
    lab.refresh_from_db()
    assert lab.last_sync_error_kind == "index" and lab.next_sync_after is not None
    assert lab.sync_running_since is None
    assert lab.pk not in [pk for pk, _ in services.mailbox_sync_candidates()]
    assert not services.mailbox_sync_enqueue(mailbox=lab, session_key=None)
    assert slow_worker.stalls() == 1
