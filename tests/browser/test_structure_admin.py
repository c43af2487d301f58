"""The EHPAD's director gives an educator read-and-send access to the EHPAD's shared
mailbox in the admin; the educator, already signed in, sees it at her next page and sends
from it (issue 15). Screenshots of each step; axe-core clean on the pages involved."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from apps.audit.models import AuditEvent
from apps.mail.models import Delegation, Mailbox
from devstack import stack
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_mail_flows import compose_ready, wait_until_sent
from tests.conftest import IDENTITIES, PSCSim
from tests.integration.mail_server import wait_for_subject

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SHARED = next(m["address"] for m in stack.IDENTITIES["shared_mailboxes"] if "ehpad" in m["address"])


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _pick(page: Page, field: str, text: str) -> None:
    """Choose in one of the admin's autocompletes (select2) as a person does: open, type, pick."""
    page.locator(f"[aria-labelledby='select2-{field}-container']").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_the_director_delegates_the_shared_mailbox_and_the_educator_sends_from_it(
        page: Page, browser: Browser, site: str, psc_sim: PSCSim, demo_accounts: None, trust_data: None,
        celery_worker: Any, artifacts: Path) -> None:
    problems: dict[str, list[str]] = {}
    educator = _new_page(browser)
    sign_in(educator, site, "Léa MOREAU")  # already at work before anything is given
    expect(educator.get_by_role("link", name=SHARED)).to_have_count(0)

    sign_in(page, site, "Nathalie ROUX")
    page.goto(site + "/admin/")
    expect(page.get_by_role("link", name="Délégations")).to_be_visible()
    expect(page.get_by_role("link", name="Listes blanches")).to_have_count(0)  # not hers
    page.screenshot(path=str(artifacts / "ehpad-1-admin-index.png"))
    problems["accueil de l'administration"] = violations(page)
    page.get_by_role("link", name="Délégations").click()
    page.get_by_role("link", name="Ajouter délégation").click()
    _pick(page, "id_mailbox", SHARED)
    _pick(page, "id_user", "MOREAU")
    page.get_by_label("Droits").select_option(label="Lecture et envoi")
    page.screenshot(path=str(artifacts / "ehpad-2-delegation-form.png"))
    problems["formulaire de délégation"] = violations(page)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("ajouté")
    page.screenshot(path=str(artifacts / "ehpad-3-delegation-saved.png"))
    shared = Mailbox.objects.get(address=SHARED)
    delegation = Delegation.objects.get(mailbox=shared, user__idnat=IDENTITIES["educator"]["idnat"])
    assert delegation.rights == "send" and delegation.granted_by.idnat == IDENTITIES["director"]["idnat"]
    assert AuditEvent.objects.filter(event="delegation_changed", outcome="granted", mailbox=SHARED).count() == 1

    # Her next page load shows it; she opens it and writes from it.
    educator.reload()
    link = educator.get_by_role("link", name=SHARED)
    expect(link).to_be_visible()
    educator.screenshot(path=str(artifacts / "ehpad-4-educator-sees-it.png"))
    problems["liste de l'éducatrice"] = violations(educator)
    link.click()
    expect(educator.locator(".mailbox-address")).to_have_text(SHARED)
    educator.goto(site + "/ecrire/")
    compose_ready(educator)
    educator.get_by_label("De", exact=True).select_option(label=SHARED)
    subject = f"Sortie de M. Garnier samedi {uuid.uuid4().hex[:8]}"
    to = educator.get_by_label("À", exact=True)
    to.fill(IDENTITIES["nurse"]["mailbox"])
    to.press("Enter")
    educator.get_by_label("Objet").fill(subject)
    educator.get_by_label("Message").fill("Bonjour,\nM. Garnier sort samedi à 10 h, son traitement suit.\n")
    educator.screenshot(path=str(artifacts / "ehpad-5-compose-from-shared.png"))
    educator.get_by_role("button", name="Envoyer").click()
    wait_until_sent(educator, subject)
    educator.screenshot(path=str(artifacts / "ehpad-6-sent.png"))
    assert wait_for_subject(IDENTITIES["nurse"]["mailbox"], "INBOX", subject, timeout=15)
    assert wait_for_subject(SHARED, "Sent", subject)
    assert {k: v for k, v in problems.items() if v} == {}
