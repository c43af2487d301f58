"""The outbox: SMTP down loses nothing and the state shows; SMTP back, sent exactly once
and filed in Sent; a crash after the operator accepted never sends twice."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from apps.core.crypto import session_key_from_reference
from apps.core.errors import MailServerUnavailable
from apps.mail import services
from apps.mail.models import OutboxMessage
from devstack import stack
from tests.conftest import IDENTITIES, PROFILE, PSCSim, django_signin, expire_access_token
from tests.integration.mail_server import uids_with_subject, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def count(address: str, folder: str, subject: str) -> int:
    return len(uids_with_subject(address, folder, subject))


def postfix(action: str) -> None:
    if action == "stop":
        pf = stack.state_dir(PROFILE) / "postfix"
        subprocess.run(["postfix", "-c", str(pf), "stop"], env=dict(os.environ, MAIL_CONFIG=str(pf)),
                       capture_output=True, check=True)
        import time
        for _ in range(100):
            if not stack.port_open(stack.PROFILES[PROFILE].submission):
                return
            time.sleep(0.1)
    else:
        stack.start(PROFILE)  # starts only what is down


def compose(client: Client, subject: str) -> OutboxMessage:
    response = client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject, "body": "x"})
    assert response.status_code == 302
    return OutboxMessage.objects.get(subject=subject)


def test_smtp_down_then_back_sends_exactly_once(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                trust_data: None) -> None:
    django_signin(client, "gp")
    subject = f"Pendant la panne {uuid.uuid4().hex[:6]}"
    postfix("stop")
    try:
        outgoing = compose(client, subject)
        with pytest.raises(MailServerUnavailable):
            services.outbox_process(outbox_id=outgoing.pk)
        outgoing.refresh_from_db()
        assert outgoing.status == "pending" and outgoing.next_attempt_at and outgoing.raw
        page = client.get("/envoi/").content.decode()
        assert "En attente d" in page and "ne répond pas" in page
    finally:
        postfix("start")
    assert services.outbox_process(outbox_id=outgoing.pk) == "sent"
    assert services.outbox_process(outbox_id=outgoing.pk) == "sent"  # a duplicate task: nothing more
    assert wait_for_subject(IDENTITIES["nurse"]["mailbox"], "INBOX", subject)
    assert count(IDENTITIES["nurse"]["mailbox"], "INBOX", subject) == 1
    assert count(IDENTITIES["gp"]["mailbox"], "Sent", subject) == 1
    assert "Envoyé" in client.get("/envoi/").content.decode()


def test_a_crash_after_smtp_accepted_does_not_send_twice(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                         trust_data: None, monkeypatch: pytest.MonkeyPatch) -> None:
    django_signin(client, "gp")
    subject = f"Crash {uuid.uuid4().hex[:6]}"
    outgoing = compose(client, subject)

    class Crash(BaseException):
        pass

    def crash(*args: object, **kwargs: object) -> None:
        raise Crash  # the worker dies right after the operator accepted the message

    monkeypatch.setattr(services.outbox, "_file_in_sent", crash)
    with pytest.raises(Crash):
        services.outbox_process(outbox_id=outgoing.pk)
    monkeypatch.undo()
    outgoing.refresh_from_db()
    assert outgoing.status == "sending" and outgoing.smtp_accepted_at is not None
    # The dead worker's lease holds the row: a redelivered task leaves it alone meanwhile.
    assert outgoing.pk not in services.outbox_due()
    assert services.outbox_process(outbox_id=outgoing.pk) == "sending"
    assert outgoing.next_attempt_at is not None
    after_lease = outgoing.next_attempt_at + __import__("datetime").timedelta(seconds=1)
    assert outgoing.pk in services.outbox_due(now=after_lease)
    OutboxMessage.objects.filter(pk=outgoing.pk).update(next_attempt_at=timezone.now())  # lease over
    assert services.outbox_process(outbox_id=outgoing.pk) == "sent"
    assert wait_for_subject(IDENTITIES["nurse"]["mailbox"], "INBOX", subject)  # LMTP is asynchronous
    import time
    time.sleep(1.0)  # a duplicate, sent right after, would have arrived by now
    assert count(IDENTITIES["nurse"]["mailbox"], "INBOX", subject) == 1
    assert count(IDENTITIES["gp"]["mailbox"], "Sent", subject) == 1


def test_refused_message_fails_with_the_reason_and_can_be_retried(client: Client, psc_sim: PSCSim,
                                                                  demo_accounts: None, trust_data: None) -> None:
    django_signin(client, "gp")
    outgoing = compose(client, f"Refus {uuid.uuid4().hex[:6]}")
    psc_sim.configure(refresh_fails=True)
    expire_access_token(client)
    assert services.outbox_process(outbox_id=outgoing.pk) == "failed"
    page = client.get("/envoi/").content.decode()
    assert "Échec" in page and "Votre session Pro Santé Connect a pris fin" in page and "Réessayer" in page
    psc_sim.configure(refresh_fails=False)
    client.post("/oidc/logout/")
    django_signin(client, "gp")
    assert client.post(f"/envoi/{outgoing.pk}/reessayer/").status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.status == "pending"
    assert services.outbox_process(outbox_id=outgoing.pk) == "sent"


def test_a_sent_message_is_in_sent_in_the_index_at_once(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                         trust_data: None) -> None:
    """The copy filed in « Envoyés » is in the index when the send ends, not at a later
    sync (issue 16), as a saved draft is in « Brouillons »."""
    from apps.mail.models import MessageSummary

    django_signin(client, "gp")
    subject = f"Envoyés {uuid.uuid4().hex[:6]}"
    outgoing = compose(client, subject)
    # The worker's sync after the sign-in: the index knows the folders.
    assert services.mailbox_sync_in_worker(mailbox_id=outgoing.mailbox_id,
                                           session_key=client.session.session_key) == "done"
    assert services.outbox_process(outbox_id=outgoing.pk) == "sent"
    assert MessageSummary.objects.filter(folder__mailbox=outgoing.mailbox, folder__role="sent",
                                         subject=subject).exists()


def test_sync_requests_inside_the_debounce_window_are_deferred_not_dropped(
        client: Client, psc_sim: PSCSim, demo_accounts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request of a window is queued at once, one more at the window's end (a
    change arriving while the first sync runs is not lost: new mail on IDLE), no third."""
    from apps.core.locks import redis_client
    from apps.mail.engine import sync_runs
    from apps.mail.models import Mailbox

    asked: list[tuple[list[object], float | None]] = []

    def enqueue(*, name: str, args: list[object], countdown: float | None = None) -> None:
        asked.append((list(args), countdown))

    monkeypatch.setattr(sync_runs, "task_enqueue", enqueue)
    mailbox = Mailbox.objects.get(address=IDENTITIES["gp"]["mailbox"])
    window = f"mssweb:sync-asked:{mailbox.pk}:INBOX"
    redis_client().delete(window, f"{window}:trailing")
    try:
        for _ in range(3):
            sync_runs.mailbox_sync_enqueue(mailbox=mailbox, session_key="k", only=["INBOX"], debounce=60)
        # the session travels as an encrypted reference, never as its key (issue 27, point 12)
        assert [(args[0], session_key_from_reference(args[1]), args[2], later) for args, later in asked] == [
            (mailbox.pk, "k", ["INBOX"], None), (mailbox.pk, "k", ["INBOX"], 60.0)]
        assert all(args[1] != "k" and args[1].startswith("gAAAA") for args, _later in asked)
    finally:
        redis_client().delete(window, f"{window}:trailing")


@pytest.mark.requirement("ECO.1.2.5")
def test_an_outbox_row_never_holds_the_session_key(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                   trust_data: None) -> None:
    """Issue 27, point 12: the session key (the sign-in cookie) was kept in the outbox row,
    after sending too. The row holds an encrypted reference, emptied once sent."""
    from apps.mail.models import OutboxMessage
    from tests.integration.mail_server import outbox_send_pending

    django_signin(client, "gp")
    client.get("/", follow=True)
    subject = f"Sans clé de session {uuid.uuid4().hex[:6]}"
    client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject, "body": "x"})
    row = OutboxMessage.objects.get(subject=subject)
    key = client.session.session_key
    assert key not in row.session_key and session_key_from_reference(row.session_key) == key
    outbox_send_pending()
    row.refresh_from_db()
    assert row.status == "sent" and row.session_key == ""
