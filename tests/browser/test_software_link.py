"""From the business software to compose in one click (issue 29): the DUI opens
``/ecrire/?ins=<INS>&document=<API id>``; the EHPAD's director finds the message addressed to
the patient of her list and the received document's package attached, the page axe-clean;
a patient her list does not hold qualified is said, not guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from apps.accounts.models import User
from apps.integration.models import DocumentDelivery
from apps.patients.models import Patient
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import violations
from tests.conftest import IDENTITIES, PSCSim
from tests.integration.test_business_software import TEST_INS, dui, send_document, sync_and_hand_over

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
__all__ = ["dui"]  # the fixture, used by name


def test_the_software_opens_compose_with_the_patient_and_the_document(
        page: Page, site: str, client: Client, psc_sim: PSCSim, dui: Any, trust_data: None,
        artifacts: Path) -> None:
    subject, _cda = send_document(client, receipt=False)
    sync_and_hand_over(dui)
    document = DocumentDelivery.objects.get(message__endpoint=dui, message__subject=subject)
    director = User.objects.get(idnat=IDENTITIES["director"]["idnat"])
    Patient.objects.update_or_create(owner=director, matricule=TEST_INS, defaults={
        "oid": "1.2.250.1.213.1.4.10", "qualified": True, "birth_name": "DUPONT", "given_names": "Jeanne",
        "birth_date": "1979-03-28", "sex": "F", "name_key": "dupont jeanne"})

    sign_in(page, site, "Nathalie ROUX", f"/ecrire/?ins={TEST_INS}&document={document.pk}")
    expect(page.locator("#to-chips .chip-address")).to_have_text([f"{TEST_INS}@patient.mssante.test"])
    expect(page.locator("#kept-files")).to_be_visible()
    expect(page.locator("#kept-files")).to_contain_text("IHE_XDM.zip")
    assert violations(page) == [], "compose from the business software"
    page.screenshot(path=str(artifacts / "compose-from-software.png"), full_page=True)

    Patient.objects.filter(owner=director, matricule=TEST_INS).update(qualified=False)
    page.goto(f"{site}/ecrire/?ins={TEST_INS}&document=999999")
    said = page.get_by_role("status").filter(has_text="votre logiciel")
    expect(said).to_contain_text("n'est pas dans votre liste de patients avec un INS qualifié")
    expect(said).to_contain_text("n'est pas dans une boîte que vous pouvez ouvrir")
    expect(page.locator("#to-chips .chip")).to_have_count(0)
