"""New mail in seconds (issue 16): the watcher holds IDLE on the INBOX of each signed-in
user's mailbox, a message delivered over SMTP is in the index within seconds through a
real Celery worker (no beat), and a session that ends closes its watch."""

from __future__ import annotations

import smtplib
import time
import uuid
from typing import Any

import pytest
from django.test import Client

from apps.mail.engine.watching import InboxWatcher
from apps.mail.models import Mailbox, MessageSummary
from tests.conftest import IDENTITIES, PORTS, PSCSim, django_signin

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
NURSE = IDENTITIES["nurse"]["mailbox"]


def until(condition: Any, timeout: float) -> float:
    """Seconds until ``condition()`` held (fails past ``timeout``)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "not within the time"
        time.sleep(0.05)
    return time.monotonic() - started


def deliver(subject: str) -> None:
    """As a remote operator's MTA does: SMTP to the MX port, no authentication."""
    with smtplib.SMTP("127.0.0.1", PORTS.smtp_in) as smtp:
        smtp.sendmail("sophie.bernard@pharmacie.mssante.test", [NURSE],
                      f"From: sophie.bernard@pharmacie.mssante.test\r\nTo: {NURSE}\r\n"
                      f"Subject: {subject}\r\n\r\nBonjour\r\n".encode())


def test_mail_delivered_over_smtp_is_in_the_index_within_seconds(
        client: Client, psc_sim: PSCSim, demo_accounts: None, celery_worker: Any,
        watcher: InboxWatcher) -> None:
    django_signin(client, "nurse")
    client.get("/", follow=True)  # the first screen: the INBOX exists in the index
    nurse = Mailbox.objects.get(address=NURSE)
    until(lambda: nurse.pk in watcher.watched, timeout=10)
    # The sign-in's own work is over: its syncs, then the first full pass of the body index
    # (which holds the test's single worker for a few seconds on a mailbox the whole suite
    # writes to). What follows is the watcher's doing.
    until(lambda: not Mailbox.objects.get(pk=nurse.pk).bodies_indexing, timeout=120)
    time.sleep(1)
    subject = f"Résultats urgents {uuid.uuid4().hex[:6]}"
    deliver(subject)
    waited = until(lambda: MessageSummary.objects.filter(folder__mailbox=nurse, subject=subject).exists(),
                   timeout=15)
    assert waited < 5, f"{waited:.1f} s"
    assert watcher.changes >= 1
    # A second one, right after: the trailing sync of the debounce window brings it too.
    again = f"Résultats complémentaires {uuid.uuid4().hex[:6]}"
    deliver(again)
    until(lambda: MessageSummary.objects.filter(folder__mailbox=nurse, subject=again).exists(), timeout=15)


def test_a_session_that_ends_closes_its_watch(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                              watcher: InboxWatcher, caplog: pytest.LogCaptureFixture) -> None:
    django_signin(client, "nurse")
    client.get("/", follow=True)
    nurse = Mailbox.objects.get(address=NURSE)
    until(lambda: nurse.pk in watcher.watched, timeout=10)
    connection = watcher.watched[nurse.pk].imap.connection
    client.post("/oidc/logout/")
    until(lambda: nurse.pk not in watcher.watched, timeout=5)
    assert connection.sock is not None and connection.sock.fileno() == -1  # closed, not left idling
    assert f"new-mail watch of mailbox {nurse.pk} ended: no live session" in caplog.text


def test_a_watch_that_cannot_start_backs_off_and_logs(devstack: dict[str, str], caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    from apps.core.errors import MailServerUnavailable

    attempts: list[int] = []

    def down(mailbox_id: int, session_key: str) -> Any:
        attempts.append(mailbox_id)
        raise MailServerUnavailable("connection refused")

    watcher = InboxWatcher(candidates=lambda: {7: "cle"}, opener=down, refresh_seconds=0)
    for _ in range(5):
        watcher.step(timeout=0)
    assert attempts == [7]  # not again before its backoff
    assert watcher.failures[7][0] == 1
    assert "new-mail watch of mailbox 7 not started (MailServerUnavailable" in caplog.text
    watcher.candidates = dict  # nobody any more: forgotten
    watcher.step(timeout=0)
    assert watcher.failures == {}
    watcher.close()
