"""What a person sees when a message comes from outside the trust space, and when their
Pro Santé Connect session ends while the page is open (issues 16 and 18), in the browser."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from apps.accounts.tokens import session_tokens_get, session_tokens_set
from apps.mail.models import MessageSummary
from tests.conftest import PSCSim
from tests.integration.mail_server import SYNCHRO, append, reset_mailbox, synchro_inbox

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_outside_sender_notice_then_session_end_in_the_pane(
        page: Page, site: str, psc_sim: PSCSim, demo_accounts: None, trust_data: None,
        seeded_mail: None, artifacts: Path) -> None:
    reset_mailbox(SYNCHRO)
    append(SYNCHRO, subject="Offre exceptionnelle", sender="Inconnu <promo@gmail.com>")
    append(SYNCHRO, subject="Compte rendu", sender="Julien Petit <julien.petit@hopital.mssante.test>")
    mailbox, inbox = synchro_inbox(expected=2)
    outside = MessageSummary.objects.get(folder=inbox, subject="Offre exceptionnelle").uid
    inside = MessageSummary.objects.get(folder=inbox, subject="Compte rendu").uid
    page.goto(site + "/connexion/")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.get_by_role("button", name="Claire MARTIN").click()
    base = f"{site}/bal/{mailbox.pk}/dossier/{inbox.pk}/"

    page.goto(f"{base}message/{outside}/")
    warning = page.get_by_role("note").filter(has_text="l'extérieur de l'espace de confiance")
    expect(warning).to_be_visible()
    page.screenshot(path=str(artifacts / "outside-sender.png"), full_page=True)
    page.goto(f"{base}message/{inside}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compte rendu")
    expect(page.get_by_role("note").filter(has_text="l'extérieur")).to_have_count(0)

    # PSC refuses the refresh while the page is open: the person is told in the pane of
    # their own (PSC) mailbox.
    page.goto(site + "/")
    expect(page.get_by_role("heading", name="Boîte de réception")).to_be_visible()
    own_inbox = page.url
    psc_sim.configure(refresh_fails=True)
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    tokens = session_tokens_get(session=session)
    assert tokens is not None
    session_tokens_set(session=session, tokens=tokens.with_access_expiring(0.0))
    session.save()
    page.locator("table.messages tbody tr a.open").first.click()
    expect(page.get_by_text("Votre session Pro Santé Connect a pris fin")).to_be_visible()
    page.goto(own_inbox)
    pane = page.get_by_role("navigation", name="Dossiers")
    expect(pane.get_by_text("votre boîte n'est plus synchronisée")).to_be_visible()
    expect(pane.get_by_role("link", name="Se reconnecter")).to_be_visible()
    page.screenshot(path=str(artifacts / "session-ended-pane.png"), full_page=True)
