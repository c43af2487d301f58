"""A person signs in with Pro Santé Connect (simulator) and reads their INBOX."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PSCSim

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_sign_in_read_inbox_sign_out(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                     seeded_mail: None, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(site + "/")
    expect(page).to_have_url(site + "/connexion/?next=/")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    expect(page.get_by_role("heading", name="Pro Santé Connect")).to_be_visible()
    page.get_by_role("button", name="Claire MARTIN").click()
    expect(page).to_have_url(re.compile(re.escape(site) + r"/bal/\d+/dossier/\d+/$"))
    expect(page.get_by_role("heading", name="Boîte de réception")).to_be_visible()
    expect(page.get_by_role("navigation", name="Dossiers").get_by_role("link", name="Boîte de réception")).to_have_attribute("aria-current", "page")
    rows = page.locator("table.messages tbody tr")
    expect(rows.filter(has_text="Question sur mon traitement après ma sortie")).to_have_count(1)
    expect(rows.filter(has_text="Sortie de Mme Jeanne Dupont")).to_have_count(2)
    assert rows.count() >= 8  # the eight messages seeded for the GP, at least
    page.screenshot(path=str(artifacts / "inbox.png"), full_page=True)
    page.get_by_role("link", name="Lettre d'information – campagne de vaccination antigrippale").click()
    body = page.frame_locator("iframe.message-body")
    expect(body.get_by_text("Campagne de vaccination antigrippale 2026-2027")).to_be_visible()
    expect(page.get_by_text("Les images distantes sont bloquées")).to_be_visible()
    page.screenshot(path=str(artifacts / "message.png"), full_page=True)
    page.go_back()

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()
    assert any(e["event"] == "logout" for e in psc_sim.events())
    page.go_back()
    # The browser must not show the inbox from its cache, and the server sends the sign-in page.
    expect(page.get_by_text("Question sur mon traitement")).to_have_count(0)
    page.goto(site + "/")
    expect(page).to_have_url(site + "/connexion/?next=/")
    assert errors == []
