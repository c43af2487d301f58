"""Out-of-office reply (issue 16) through the devstack's Dovecot: set in the page, kept on
the server as a Sieve script over ManageSieve, answered by the server itself; turned off,
no more answers; a filter the user already had keeps running and comes back."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import time
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from apps.mail.models import Mailbox
from devstack import stack
from mailproto.imap import AuthMode, ImapCredentials
from mailproto.sieve import SieveEndpoint, sieve_connect
from tests.conftest import ENV, IDENTITIES, PORTS, PSCSim, django_signin
from tests.integration.mail_server import raw_with_subject, uids_with_subject, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
GP = IDENTITIES["gp"]["mailbox"]


def sieve(address: str):  # type: ignore[no-untyped-def]
    """A devstack-only PLAIN ManageSieve login, to look from the server's side."""
    return sieve_connect(SieveEndpoint("127.0.0.1", PORTS.sieve, ca_file=ENV["MSSANTE_TLS_CA_FILE"]),
                         ImapCredentials(address, AuthMode.PLAIN, stack.DEV_PASSWORD))


def deliver(sender: str, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", PORTS.smtp_in) as smtp:
        smtp.sendmail(sender, [GP], (f"From: {sender}\r\nTo: {GP}\r\nSubject: {subject}\r\n"
                                     f"Message-ID: <{uuid.uuid4().hex}@vacation.test>\r\n\r\nBonjour\r\n").encode())


@pytest.fixture
def clean_sieve(devstack: dict[str, str]) -> None:
    session = sieve(GP)
    try:
        session.script_activate("")
        for script in session.scripts():
            session._command(b'DELETESCRIPT "' + script.name.encode() + b'"')
    finally:
        session.close()


def test_the_reply_set_in_the_page_is_answered_by_the_server_then_stops(
        client: Client, psc_sim: PSCSim, demo_accounts: None, clean_sieve: None) -> None:
    django_signin(client, "gp")
    mailbox = Mailbox.objects.get(address=GP)
    url = f"/parametres/absence/{mailbox.pk}/"
    page = client.get(url).content.decode()
    assert "La réponse est désactivée" in page and 'value="Absent' in page
    tag = uuid.uuid4().hex[:6]
    end = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(url, {"action": "on", "start": timezone.localdate().isoformat(),
                                 "end": end.isoformat(), "subject": f"Absente {tag}",
                                 "text": "Je suis absente.\nEn cas d'urgence : le cabinet.", "days": "1"})
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.vacation_enabled and mailbox.vacation_end == end and mailbox.vacation_running
    pane = client.get("/", follow=True).content.decode()
    assert "Répondeur d'absence actif jusqu'au" in pane.replace("&#x27;", "'")
    # The server answers a colleague's message.
    nurse = IDENTITIES["nurse"]["mailbox"]
    deliver(nurse, f"Question {tag}")
    assert wait_for_subject(nurse, "INBOX", f"Absente {tag}", timeout=15)
    reply = raw_with_subject(nurse, "INBOX", f"Absente {tag}")
    assert b"Je suis absente." in reply and b"Auto-Submitted: auto-replied" in reply
    assert "La réponse est activée" in client.get(url).content.decode()
    # Off: another colleague gets no answer.
    assert client.post(url, {"action": "off"}).status_code == 302
    mailbox.refresh_from_db()
    assert not mailbox.vacation_enabled
    pharmacist = IDENTITIES["pharmacist"]["mailbox"]
    deliver(pharmacist, f"Autre question {tag}")
    assert wait_for_subject(GP, "INBOX", f"Autre question {tag}", timeout=15)
    time.sleep(1.5)  # an answer, were there one, is written at delivery
    assert uids_with_subject(pharmacist, "INBOX", f"Absente {tag}") == []


def test_the_users_own_filters_keep_running_and_come_back(client: Client, psc_sim: PSCSim,
                                                          demo_accounts: None, clean_sieve: None) -> None:
    session = sieve(GP)
    try:
        session.script_put("mes-filtres", 'require ["fileinto"];\nif header :contains "subject" "[labo]" '
                                          '{ fileinto "Archive"; }\n')
        session.script_activate("mes-filtres")
    finally:
        session.close()
    django_signin(client, "gp")
    mailbox = Mailbox.objects.get(address=GP)
    url = f"/parametres/absence/{mailbox.pk}/"
    assert client.post(url, {"action": "on", "start": "", "end": "", "subject": "Absent",
                             "text": "Absent.", "days": "7"}).status_code == 302
    session = sieve(GP)
    try:
        assert {s.name: s.active for s in session.scripts()} == {"mes-filtres": False, "mssante-web": True}
        assert 'include :personal "mes-filtres";' in session.script_get("mssante-web")
    finally:
        session.close()
    client.post(url, {"action": "off"})
    session = sieve(GP)
    try:
        assert {s.name: s.active for s in session.scripts()}["mes-filtres"] is True
    finally:
        session.close()


def test_bad_dates_and_a_server_down_say_why_in_french(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                       clean_sieve: None, settings: object,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    django_signin(client, "gp")
    mailbox = Mailbox.objects.get(address=GP)
    url = f"/parametres/absence/{mailbox.pk}/"
    bad = client.post(url, {"action": "on", "start": "2026-12-10", "end": "2026-12-01", "subject": "",
                            "text": "x", "days": "7"})
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Le dernier jour vient avant le premier." in page and "Donnez un objet" in page
    settings.MSSANTE_SIEVE_PORT = 1  # type: ignore[attr-defined] # nothing listens there
    down = client.post(url, {"action": "on", "start": "", "end": "", "subject": "Absent", "text": "x",
                             "days": "7"})
    assert down.status_code == 503
    assert "ne répond pas" in down.content.decode() and 'value="Absent"' in down.content.decode()
    assert "ManageSieve server unavailable for claire.martin@medecin.mssante.test" in caplog.text
    mailbox.refresh_from_db()
    assert not mailbox.vacation_enabled


def test_the_quota_the_server_reports_shows_in_the_folder_pane(client: Client, psc_sim: PSCSim,
                                                               demo_accounts: None) -> None:
    """IMAP QUOTA (the devstack's 1 GiB rule), read at a full sync, shown as a gauge."""
    from apps.mail import services
    from tests.integration.mail_server import append, synchro_mailbox

    mailbox = synchro_mailbox(1)
    mailbox.refresh_from_db()
    assert mailbox.quota_limit_kb == 1024 * 1024 and mailbox.quota_used_kb is not None
    before = mailbox.quota_used_kb
    append("synchro@medecin.mssante.test", body="x" * 300_000)
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox), only=["INBOX"])
    mailbox.refresh_from_db()
    assert mailbox.quota_used_kb == before  # an INBOX-only sync asks nothing more
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))
    mailbox.refresh_from_db()
    assert mailbox.quota_used_kb >= before + 290
    django_signin(client, "gp")
    inbox = mailbox.folders.get(role="inbox")
    pane = client.get(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/").content.decode()
    assert re.search(r"Kio|Mio", pane) and "utilisés sur 1,0" in pane and f'max="{1024 * 1024}"' in pane
    assert "presque pleine" not in pane
    Mailbox.objects.filter(pk=mailbox.pk).update(quota_used_kb=1000 * 1024)
    assert "Votre boîte est presque pleine" in client.get(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/").content.decode()


def test_the_quota_is_read_again_only_when_mail_came_or_went_or_the_reading_is_old(
        demo_accounts: None) -> None:
    """GETQUOTAROOT took 70 ms on a 100,000-message INBOX (most of a sync that found
    nothing): a full sync asks it when mail came or went (in it or in a partial sync
    since), or when the last reading is older than QUOTA_MAX_AGE."""
    from apps.mail import services
    from apps.mail.engine.sync_runs import QUOTA_MAX_AGE
    from tests.integration.mail_server import append, synchro_mailbox

    mailbox = synchro_mailbox(1)
    mailbox.refresh_from_db()
    assert mailbox.quota_read_at is not None and mailbox.quota_used_kb is not None
    real = mailbox.quota_used_kb
    sentinel = real + 123_456  # a reading would overwrite it with what the server says

    def full_sync() -> int | None:
        services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))
        mailbox.refresh_from_db()
        return mailbox.quota_used_kb

    Mailbox.objects.filter(pk=mailbox.pk).update(quota_used_kb=sentinel)
    assert full_sync() == sentinel  # nothing new: not asked
    append("synchro@medecin.mssante.test", body="y" * 100_000)
    assert full_sync() >= real + 90  # a message came: asked in the same sync
    Mailbox.objects.filter(pk=mailbox.pk).update(quota_used_kb=sentinel)
    append("synchro@medecin.mssante.test", body="z" * 10)
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox), only=["INBOX"])
    mailbox.refresh_from_db()
    assert mailbox.quota_used_kb == sentinel and mailbox.quota_read_at is None  # due at the next full one
    assert full_sync() not in (None, sentinel)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        quota_used_kb=sentinel, quota_read_at=timezone.now() - QUOTA_MAX_AGE - dt.timedelta(seconds=1))
    assert full_sync() not in (None, sentinel)  # an old reading is renewed
