"""What a professional sees on the messages they sent (issue 25): the end of an exchange with
a patient ("[FIN]" subject, X-MSS-MES: FIN), each kind of Mon espace santé bounce said in
French on the sent message, and a platform's "[KO Intégration système !]" plain message
shown as an integration failure of the message it names, with the link both ways.

No sample of Mon espace santé's reports is public: the bounces are delivery reports
(RFC 3464) with the standard status codes and words for each case, delivered into the
real mailbox."""

from __future__ import annotations

import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devstack import stack
from mss import headers, subjects
from tests.browser.helpers import sign_in
from tests.conftest import IDENTITIES, PSCSim, imap_plain

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
GP = IDENTITIES["gp"]["mailbox"]
PATIENT = f"{stack.IDENTITIES['patients'][0]['ins']}@{stack.IDENTITIES['patient_domain']}"
BOUNCES = [("5.2.1", "mailbox disabled", "la messagerie Mon espace santé du patient est fermée"),
           ("5.1.1", "user unknown", "ce patient est inconnu de Mon espace santé"),
           ("5.1.3", "bad address syntax", "cette adresse de patient n'est pas valide"),
           ("5.3.4", "message too big", "le message dépasse la limite de 25 Mo de Mon espace santé")]


def sent(subject: str, to: str = PATIENT, **extra: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = GP, to, subject
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="medecin.mssante.test")
    for name, value in extra.items():
        message[name] = value
    message.set_content("Bonjour.\n")
    return message


def bounce(original: EmailMessage, status: str, words: str) -> bytes:
    """A delivery report as Mon espace santé's relay would write it (RFC 3464)."""
    return (f"From: MAILER-DAEMON@patient.mssante.test\r\nTo: {GP}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: {formatdate(localtime=True)}\r\n"
            f"Message-ID: {make_msgid(domain='patient.mssante.test')}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMessage non distribué.\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; mx.patient.mssante.test\r\nOriginal-Envelope-Id: {original['Message-ID']}\r\n"
            f"\r\nFinal-Recipient: rfc822; {original['To']}\r\nAction: failed\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; 550 {status} {words}\r\n\r\n"
            "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: {original['Message-ID']}\r\nSubject: {original['Subject']}\r\n\r\n--b--\r\n").encode()


def deliver(folder: str, *raws: bytes) -> None:
    client = imap_plain(GP)
    try:
        for raw in raws:
            client.append(folder, raw, flags=[b"\\Seen"] if folder == "Sent" else [])
    finally:
        client.logout()


def open_message(page: Page, site: str, folder: str, subject: str) -> None:
    """Open ``folder`` and the message; a first sync of the folder may still be bringing it
    in (the page then offers "les afficher"): look again until it is listed."""
    page.goto(site + "/")
    page.get_by_role("link", name=folder).first.click()
    link = page.get_by_role("link", name=subject).first
    deadline = time.monotonic() + 30
    while not link.is_visible() and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        page.reload()
    link.click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()


@pytest.mark.requirement("MES.1", "MES.3", "IG.MDN.3")
def test_the_end_of_an_exchange_each_bounce_and_an_integration_failure_read_as_expected(
        page: Page, site: str, psc_sim: PSCSim, demo_accounts: None, celery_worker: Any,
        artifacts: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    ended = sent(subjects.END_OF_EXCHANGE_SUBJECT)
    no_reply = sent(f"Résultats {tag}", **{headers.MES: headers.END_OF_EXCHANGE})
    bounced = [sent(f"Rendez-vous {status} {tag}") for status, _, _ in BOUNCES]
    document = sent(f"XDM/1.0/DDM+CR de biologie ROUX Jeanne {tag}", to=IDENTITIES["educator"]["mailbox"])
    document.add_attachment(b"PK\x05\x06" + b"\x00" * 18, maintype="application", subtype="zip",
                            filename="IHE_XDM.zip")  # what a KO answers: a message with a package
    deliver("Sent", ended.as_bytes(), no_reply.as_bytes(), document.as_bytes(),
            *(m.as_bytes() for m in bounced))
    ko = sent(f"{subjects.INTEGRATION_KO_PREFIX}[902] {document['Subject']}")
    ko.replace_header("From", IDENTITIES["educator"]["mailbox"])
    ko.replace_header("To", GP)
    deliver("INBOX", *(bounce(m, status, words) for m, (status, words, _) in zip(bounced, BOUNCES, strict=True)),
            ko.as_bytes())

    sign_in(page, site, "Claire MARTIN")
    open_message(page, site, "Envoyés", f"Résultats {tag}")
    expect(page.get_by_role("note").filter(has_text="Fin de l'échange")).to_have_text(
        "Fin de l'échange : le patient ne peut pas répondre à ce message.")
    for message, (_status, _words, said) in zip(bounced, BOUNCES, strict=True):
        open_message(page, site, "Envoyés", message["Subject"])
        expect(page.locator(".report-dsn-failed")).to_contain_text(f"Non remis à {PATIENT} : {said}")
    page.screenshot(path=str(artifacts / "bounce-too-large.png"), full_page=True)
    open_message(page, site, "Envoyés", f"CR de biologie ROUX Jeanne {tag}")
    expect(page.locator(".report-mdn-processed")).to_contain_text(
        f"{IDENTITIES['educator']['mailbox']} n'a pas pu intégrer le document : patient inconnu (902)")

    open_message(page, site, "Boîte de réception", f"[KO Intégration système !][902] CR de biologie ROUX Jeanne {tag}")
    alert = page.locator(".integration-failure")
    expect(alert).to_contain_text("n'a pas pu intégrer le document de votre message : patient inconnu (902)")
    alert.get_by_role("link", name=f"Voir le message « CR de biologie ROUX Jeanne {tag} »").click()
    expect(page.get_by_role("heading", name=f"CR de biologie ROUX Jeanne {tag}")).to_be_visible()
    page.screenshot(path=str(artifacts / "integration-failure.png"), full_page=True)

    open_message(page, site, "Envoyés", "[FIN]")
    expect(page.get_by_role("note").filter(has_text="Fin de l'échange")).to_have_text(
        "Fin de l'échange : le patient ne peut plus répondre ni à ce message ni aux précédents.")
