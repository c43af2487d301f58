"""Compose: three letters of a name propose the right people with profession and city;
an address outside the whitelist shows in red and sending is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import sign_in
from tests.conftest import PSCSim

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_autocomplete_and_trust_space_chips(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                            trust_data: None, artifacts: Path) -> None:
    sign_in(page, site, "Claire MARTIN", "/ecrire/")
    expect(page.get_by_role("heading", name="Nouveau message")).to_be_visible()
    # No empty « Pièces jointes du message d'origine » box on a new message (issue 16).
    expect(page.locator("#kept-files")).to_be_hidden()
    field = page.get_by_role("combobox", name="À")
    field.press_sequentially("mor", delay=40)
    suggestion = page.get_by_role("option").filter(has_text="Léa MOREAU")
    expect(suggestion).to_be_visible()
    expect(suggestion).to_contain_text("Éducateur spécialisé")
    expect(suggestion).to_contain_text("BRON")
    suggestion.click()
    chip = page.locator(".chip", has_text="lea.moreau@ehpad.mssante.test")
    expect(chip).to_have_attribute("data-kind", "trusted")
    expect(chip.locator(".chip-name")).to_have_text("Léa MOREAU")  # named from the directory
    field.fill("quelquun@gmail.com")
    field.press("Enter")
    outside = page.locator(".chip", has_text="quelquun@gmail.com")
    expect(outside).to_have_attribute("data-kind", "outside")
    expect(outside).to_have_css("border-top-color", "rgb(179, 38, 30)")  # the danger red
    expect(page.get_by_role("button", name="Envoyer")).to_be_disabled()
    expect(page.get_by_text("Retirez les destinataires affichés en rouge")).to_be_visible()
    page.screenshot(path=str(artifacts / "compose.png"), full_page=True)
    outside.get_by_role("button").click()
    expect(page.get_by_role("button", name="Envoyer")).to_be_enabled()


@pytest.mark.requirement("ECO.3.1.4")
def test_directory_search_and_write_to(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                       trust_data: None) -> None:
    sign_in(page, site, "Julien PETIT", "/annuaire/")
    page.get_by_label("Nom, adresse, RPPS ou structure").fill("helene")
    page.get_by_role("button", name="Rechercher").click()
    first = page.locator(".card.person").first
    expect(first).to_contain_text("Hélène")
    page.get_by_label("Nom, adresse, RPPS ou structure").fill("claire martin")
    page.get_by_label("Ville ou code postal").fill("lyon")
    page.get_by_role("button", name="Rechercher").click()
    card = page.locator(".card.person").first
    expect(card).to_contain_text("Médecin")
    card.get_by_role("link", name="Écrire à").click()
    chip = page.locator(".chip", has_text="claire.martin@medecin.mssante.test")
    expect(chip).to_have_attribute("data-kind", "trusted")
    expect(chip.locator(".chip-name")).to_have_text("Claire MARTIN")  # named by the server too
    # Its "×" submits the form only without JavaScript; here the script removes it in place.
    expect(page.get_by_role("button", name="Mise en forme")).to_be_visible()  # compose.js ran
    page.evaluate("window.sameDocument = true")  # gone if the page is loaded again
    chip.get_by_role("button").click()
    expect(chip).to_have_count(0)
    assert page.evaluate("window.sameDocument === true")


def test_draft_is_saved_while_typing_and_found_after_reload(page: Page, site: str, psc_sim: PSCSim,
                                                            demo_accounts: None, trust_data: None) -> None:
    import uuid

    from tests.conftest import imap_plain

    subject = f"Brouillon navigateur {uuid.uuid4().hex[:6]}"
    sign_in(page, site, "Claire MARTIN", "/ecrire/")
    expect(page.get_by_role("heading", name="Nouveau message")).to_be_visible()
    page.get_by_label("Objet").fill(subject)  # may land before compose.js runs: still saved
    page.get_by_label("Message").fill("Texte à ne pas perdre.")
    expect(page.locator("#draft-state")).to_contain_text("Brouillon enregistré", timeout=12_000)
    page.reload()
    box = imap_plain("claire.martin@medecin.mssante.test")
    box.select_folder("Drafts", readonly=True)
    found = box.search(["SUBJECT", subject])
    box.logout()
    assert len(found) == 1


def test_without_javascript_typed_recipients_become_chips_then_the_message_goes(
        browser: Browser, site: str, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    """No script (blocked, or not loaded yet when Enter is pressed): the form still works.
    Enter in "À" adds the recipients, checked by the server, and sends nothing; "Envoyer"
    then sends."""
    import uuid

    from apps.mail.models import OutboxMessage

    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, site, "Claire MARTIN", "/ecrire/")
        subject = f"Sans script {uuid.uuid4().hex[:6]}"
        page.get_by_label("Objet").fill(subject)
        field = page.get_by_role("combobox", name="À")
        field.fill("Léa <lea.moreau@ehpad.mssante.test>; ami@gmail.com")
        field.press("Enter")
        expect(page.get_by_role("status").filter(has_text="Destinataires ajoutés")).to_be_visible()
        expect(page.locator(".chip", has_text="lea.moreau@ehpad.mssante.test")).to_have_attribute("data-kind", "trusted")
        outside = page.locator(".chip", has_text="ami@gmail.com")
        expect(outside).to_have_attribute("data-kind", "outside")
        expect(page.get_by_label("Objet")).to_have_value(subject)  # kept
        assert not OutboxMessage.objects.filter(subject=subject).exists()
        page.get_by_role("button", name="Envoyer", exact=True).click()  # refused: one is outside
        expect(page.get_by_role("alert").filter(has_text="Rien n'a été envoyé")).to_contain_text("ami@gmail.com")
        assert not OutboxMessage.objects.filter(subject=subject).exists()
        page.get_by_role("button", name="Retirer ami@gmail.com").click()
        expect(page.locator(".chip", has_text="ami@gmail.com")).to_have_count(0)
        expect(page.locator(".chip", has_text="lea.moreau@ehpad.mssante.test")).to_have_count(1)
        page.get_by_label("Objet").press("Enter")  # the form's default button sends, not a "×"
        expect(page.get_by_text("Message en cours d'envoi.")).to_be_visible()
        assert OutboxMessage.objects.get(subject=subject).recipients == ["lea.moreau@ehpad.mssante.test"]
    finally:
        context.close()
