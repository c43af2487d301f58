"""SMTP submission on the real Postfix: XOAUTH2 through Dovecot, delivery to LMTP."""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage

import pytest

from tests.conftest import ENV, IDENTITIES, PORTS, PSCSim, imap_plain

pytestmark = pytest.mark.integration
GP = IDENTITIES["gp"]["mailbox"]
NURSE = IDENTITIES["nurse"]["mailbox"]


def submission(token: str, user: str = GP) -> smtplib.SMTP:
    smtp = smtplib.SMTP("127.0.0.1", PORTS.submission, timeout=10)
    smtp.starttls(context=ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"]))
    smtp.ehlo()

    def xoauth2(challenge: bytes | None = None) -> str:
        return "" if challenge else f"user={user}\x01auth=Bearer {token}\x01\x01"

    smtp.auth("XOAUTH2", xoauth2, initial_response_ok=True)
    return smtp


def message(sender: str, rcpt: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, rcpt
    msg["Subject"] = "Avis d'hospitalisation – test d'intégration"
    msg["Message-ID"] = f"<{uuid.uuid4()}@test.mssante-web>"
    msg.set_content("Bonjour,\nmessage de test.\n")
    return msg


def wait_for(address: str, message_id: str, timeout: float = 10) -> bool:
    client = imap_plain(address)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            client.select_folder("INBOX", readonly=True)
            if client.search(["HEADER", "Message-ID", message_id]):
                return True
            time.sleep(0.1)
        return False
    finally:
        client.logout()


def test_xoauth2_submission_lands_in_the_recipients_inbox(psc_sim: PSCSim) -> None:
    msg = message(GP, NURSE)
    with submission(psc_sim.mint("gp")) as smtp:
        smtp.send_message(msg)
    assert wait_for(NURSE, msg["Message-ID"])


def test_auth_is_not_offered_before_starttls() -> None:
    with smtplib.SMTP("127.0.0.1", PORTS.submission, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth")
        with pytest.raises(smtplib.SMTPException):
            smtp.login(GP, "devstack")


def test_expired_token_is_refused(psc_sim: PSCSim) -> None:
    with pytest.raises(smtplib.SMTPAuthenticationError):
        submission(psc_sim.mint("gp", lifetime=-60))


def test_no_relaying_and_sender_must_own_its_address(psc_sim: PSCSim) -> None:
    with submission(psc_sim.mint("gp")) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.send_message(message(GP, "someone@gmail.com"))
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused)):
            smtp.send_message(message(NURSE, GP))


def test_implicit_tls_submissions_port(psc_sim: PSCSim) -> None:
    msg = message(GP, NURSE)
    context = ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"])
    token = psc_sim.mint("gp")
    with smtplib.SMTP_SSL("127.0.0.1", PORTS.submissions, timeout=10, context=context) as smtp:
        smtp.auth("XOAUTH2", lambda c=None: "" if c else f"user={GP}\x01auth=Bearer {token}\x01\x01",
                  initial_response_ok=True)
        smtp.send_message(msg)
    assert wait_for(NURSE, msg["Message-ID"])
