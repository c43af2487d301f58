"""Accessibility (axe-core, WCAG 2.1 A and AA rules) of every page a professional uses,
and the layout on a phone: nothing wider than the screen, the message readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import sign_in
from tests.conftest import PSCSim

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
         "resultTypes": ["violations"]}


def violations(page: Page) -> list[str]:
    results = Axe().run(page, options=RULES)
    found = results.response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else json.dumps(n["target"])
                        for n in v["nodes"][:5]) for v in found]


def test_every_page_passes_axe(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                               seeded_mail: None, trust_data: None) -> None:
    page.goto(site + "/")
    assert violations(page) == [], "sign-in page"
    sign_in(page, site)
    pages = {"liste": page.url}
    page.get_by_role("link", name="Sortie de Mme Jeanne Dupont").first.click()
    expect(page.locator("iframe.message-body")).to_be_visible()
    pages["message"] = page.url
    for name, path in {"écrire": "/ecrire/", "annuaire": "/annuaire/?q=martin",
                       "boîte d'envoi": "/envoi/", "profil": "/profil/", "paramètres": "/parametres/"}.items():
        pages[name] = site + path
    search = page.get_by_label("Rechercher dans la boîte")
    search.fill("Dupont")
    search.press("Enter")
    expect(page.get_by_role("heading", name="Rechercher dans la boîte")).to_be_visible()
    pages["recherche"] = page.url
    from apps.mail.models import Mailbox

    mailbox = Mailbox.objects.get(address="claire.martin@medecin.mssante.test")
    pages["répondeur"] = f"{site}/parametres/absence/{mailbox.pk}/"
    page.goto(site + "/ecrire/")
    page.get_by_role("button", name="Ajouter des destinataires en copie (Cc)").click()  # Cc unfolded
    page.get_by_role("button", name="Ajouter des destinataires en copie cachée (Cci)").click()
    problems: dict[str, list[str]] = {}
    if found := violations(page):
        problems["écrire avec Cc et Cci"] = found
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found = violations(page)
        if found:
            problems[name] = found
    assert problems == {}


def test_phone_layout(browser: Browser, site: str, psc_sim: PSCSim, demo_accounts: None,
                      seeded_mail: None, artifacts: Path) -> None:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", is_mobile=True,
                                  has_touch=True, viewport={"width": 390, "height": 844},
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        sign_in(page, site)
        # A phone browser widens its layout viewport to fit wide content: compare with 390.
        wide = "document.documentElement.scrollWidth <= 390 && window.innerWidth <= 390"
        assert page.evaluate(wide), "the list is wider than the phone"
        expect(page.locator("table.mail-rows tbody tr").first).to_be_in_viewport()  # list first
        page.screenshot(path=str(artifacts / "phone-list.png"))
        page.get_by_role("link", name="Sortie de Mme Jeanne Dupont").first.click()
        body = page.locator("iframe.message-body")
        expect(body).to_be_visible()
        assert page.evaluate(wide), "the reader is wider than the phone"
        box = body.bounding_box()
        assert box is not None and box["width"] >= 300, box  # the text gets the screen's width
        page.screenshot(path=str(artifacts / "phone-message.png"))
        page.goto(site + "/ecrire/")
        assert page.evaluate(wide), "compose is wider than the phone"
        page.get_by_role("button", name="Ajouter des destinataires en copie (Cc)").click()
        page.get_by_role("button", name="Ajouter des destinataires en copie cachée (Cci)").click()
        assert page.evaluate(wide), "compose with Cc and Cci is wider than the phone"
        send = page.get_by_role("button", name="Envoyer")
        send.scroll_into_view_if_needed()
        expect(send).to_be_in_viewport()
        page.goto(site + "/parametres/")
        page.get_by_role("link", name="claire.martin@medecin.mssante.test").click()
        expect(page.get_by_role("heading", name="Répondeur d'absence")).to_be_visible()
        assert page.evaluate(wide), "the out-of-office page is wider than the phone"
        mailbox_id = page.url.rstrip("/").rsplit("/", 1)[1]  # /parametres/absence/<id>/
        page.goto(f"{site}/bal/{mailbox_id}/recherche/?q=sortie")
        assert page.evaluate(wide), "search is wider than the phone"
    finally:
        context.close()
