"""Hostile mail opened in the real browser: no script runs, nothing is requested from
another host, the page stays usable. (A first slice of the webmail issue's corpus.)"""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from apps.mail.models import MessageSummary
from tests.conftest import PORTS, PSCSim
from tests.integration.mail_server import reset_mailbox, synchro_inbox
from tests.unit.mail.test_sanitize import HOSTILE

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "synchro@medecin.mssante.test"
PLAIN_LOOKALIKE = "<script>window.__pwned = 1; alert('texte')</script> <img src=https://evil.example/x.png>"


def deliver(subject: str, html: str | None, text: str = "Version texte.") -> None:
    message = EmailMessage()
    message["From"] = "Expéditeur douteux <douteux@hopital.mssante.test>"
    message["To"] = ADDRESS
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", PORTS.smtp_in) as smtp:
        smtp.send_message(message)


def test_hostile_messages_are_inert(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                    artifacts: Path) -> None:
    reset_mailbox(ADDRESS)
    tag = uuid.uuid4().hex[:6]
    for number, html in enumerate(HOSTILE):
        deliver(f"hostile {tag} {number:02d}", html)
    deliver(f"hostile {tag} texte", None, text=PLAIN_LOOKALIKE)
    mailbox, inbox = synchro_inbox(expected=len(HOSTILE) + 1)
    uids = list(MessageSummary.objects.filter(folder=inbox).order_by("uid").values_list("uid", flat=True))
    assert len(uids) == len(HOSTILE) + 1

    dialogs: list[str] = []
    outside: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    def guard(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host not in ("127.0.0.1", "localhost") and not route.request.url.startswith(("data:", "about:")):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.goto(site + "/connexion/")
    psc = page.context.new_page()  # the simulator is on another loopback port: allowed
    psc.close()
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.get_by_role("button", name="Claire MARTIN").click()
    for uid in uids:
        page.goto(f"{site}/bal/{mailbox.pk}/dossier/{inbox.pk}/message/{uid}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("hostile")
        frame = page.frame_locator("iframe.message-body")
        expect(frame.locator("body")).to_be_attached()
        page.wait_for_timeout(150)
        assert page.evaluate("() => window.__pwned") is None
    page.screenshot(path=str(artifacts / "hostile.png"), full_page=True)
    expect(page.get_by_role("navigation", name="Dossiers")).to_be_visible()  # still usable
    assert dialogs == []
    assert outside == []


def test_fallbacks_a_person_sees(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                 artifacts: Path) -> None:
    """An unreadable row in the list leads to the message's source; a body too costly to
    clean shows its text version under a French line saying why."""
    reset_mailbox(ADDRESS)
    tag = uuid.uuid4().hex[:6]
    deliver(f"complexe {tag}", "<div>" * 20000 + "mise en page" + "</div>" * 20000,
            text="Le texte du compte rendu, lisible.")
    deliver(f"illisible {tag}", None, text="Source brute du message.")
    mailbox, inbox = synchro_inbox(expected=2)
    # As the sync stores a summary it could not parse (tests/integration/test_poison.py).
    MessageSummary.objects.filter(folder=inbox, subject=f"illisible {tag}").update(unreadable=True)
    complex_uid = MessageSummary.objects.get(folder=inbox, subject=f"complexe {tag}").uid

    page.goto(site + "/connexion/")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.get_by_role("button", name="Claire MARTIN").click()
    page.goto(f"{site}/bal/{mailbox.pk}/dossier/{inbox.pk}/")
    row = page.get_by_role("link", name="Message illisible — afficher la source")
    expect(row).to_be_visible()
    row.click()
    expect(page.get_by_text("Source brute du message.")).to_be_visible()

    page.goto(f"{site}/bal/{mailbox.pk}/dossier/{inbox.pk}/message/{complex_uid}/")
    body = page.frame_locator("iframe.message-body")
    expect(body.get_by_text("trop complexe")).to_be_visible(timeout=15000)
    expect(body.get_by_text("Le texte du compte rendu, lisible.")).to_be_visible()
    page.screenshot(path=str(artifacts / "fallbacks.png"), full_page=True)
