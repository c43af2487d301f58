"""A health document made from a PDF in compose, sent through the real stack, opened by the
recipient as a card and on its own page (issue 13); screenshots; axe-core clean."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_mail_flows import compose_ready, wait_until_sent
from tests.conftest import IDENTITIES, PSCSim
from tests.integration.mail_server import wait_for_subject
from tests.unit.documents import builders

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_pdf_sent_as_a_health_document_opens_as_a_card(page: Page, browser: Browser, site: str, psc_sim: PSCSim,
                                                         demo_accounts: None, trust_data: None, celery_worker: Any,
                                                         artifacts: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    educator = IDENTITIES["educator"]["mailbox"]
    sign_in(page, site, "Claire MARTIN")
    page.goto(site + "/ecrire/")
    compose_ready(page)
    to = page.get_by_label("À", exact=True)
    to.fill(educator)
    to.press("Enter")
    page.get_by_label("Message").fill(f"Bonjour,\nle compte rendu de Mme Dupont ({tag}).\n")
    page.get_by_text("Joindre un document de santé").click()
    page.set_input_files("#doc-pdf", files=[{"name": "bilan-dupont.pdf", "mimeType": "application/pdf",
                                              "buffer": builders.PAGE_PDF}])
    page.get_by_label("Type de document").select_option(label="CR d'examens biologiques")
    page.get_by_label("Titre").fill(f"Bilan sanguin {tag}")
    page.get_by_label("INS (15 caractères)").fill("279035121518989")
    page.get_by_label("Type d'INS").select_option(label="INS de test")
    page.get_by_label("Nom de naissance").fill("Dupont")
    page.get_by_label("Prénoms").fill("Jeanne Marie")
    page.get_by_label("Date de naissance").fill("1979-03-28")
    page.get_by_label("Lieu de naissance (code INSEE)").fill("51215")
    page.get_by_label("Sexe").select_option(label="Féminin")
    page.screenshot(path=str(artifacts / "document-1-compose.png"), full_page=True)
    page.get_by_role("button", name="Envoyer").click()
    subject = "XDM/1.0/DDM+CR d'examens biologiques DUPONT Jeanne 28/03/1979"
    wait_until_sent(page, subject)
    assert wait_for_subject(educator, "INBOX", subject, timeout=15)

    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    reader = context.new_page()
    reader.set_default_timeout(15_000)
    sign_in(reader, site, "Léa MOREAU")
    reader.get_by_role("link", name="CR d'examens biologiques DUPONT Jeanne 28/03/1979").first.click()
    card = reader.locator(".document-card").first
    expect(card).to_contain_text("DUPONT")
    expect(card).to_contain_text("INS de test")
    reader.screenshot(path=str(artifacts / "document-2-card.png"), full_page=True)
    problems = {"message avec document": violations(reader)}
    card.get_by_role("link").click()
    expect(reader.get_by_role("heading", name=f"Bilan sanguin {tag}")).to_be_visible()
    expect(reader.locator(".document-patient")).to_contain_text("INS 279035121518989")
    header = reader.locator(".document-header")
    expect(header).to_contain_text("Lieu de naissance (code INSEE, libellé)")
    expect(header).to_contain_text("(code INSEE 51215)")
    expect(header).to_contain_text("Organisation chargée de la conservation du document")
    viewer = reader.locator("iframe.document-viewer").first
    expect(viewer).to_be_visible()
    pdf = reader.request.get(reader.url.split("#")[0] + "fichier/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    from apps.documents.produce import pdfa_part

    assert pdfa_part(pdf.body()) == 1  # the PDF/A the producer made, in the sandboxed viewer
    reader.screenshot(path=str(artifacts / "document-3-page.png"), full_page=True)
    problems["page du document"] = violations(reader)
    context.close()
    assert {k: v for k, v in problems.items() if v} == {}
