"""Sign in, open "Mon profil", sign out; the back button shows no private page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PSCSim

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_profile_then_sign_out_and_back(page: Page, site: str, psc_sim: PSCSim,
                                        demo_accounts: None, artifacts: Path) -> None:
    page.goto(site + "/profil/")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.get_by_role("button", name="Karim HADDAD").click()
    expect(page).to_have_url(site + "/profil/")  # `next` brought the user back here
    expect(page.get_by_role("heading", name="Mon profil")).to_be_visible()
    expect(page.get_by_text("Assistant de service social")).to_be_visible()
    expect(page.get_by_text("Professionnel du social ou du médico-social")).to_be_visible()
    expect(page.get_by_text("CCAS de Villeurbanne")).to_be_visible()
    page.screenshot(path=str(artifacts / "profile.png"), full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Mon profil")).to_have_count(0)
    expect(page.get_by_text("CCAS de Villeurbanne")).to_have_count(0)
    page.go_back()
    expect(page.get_by_role("heading", name="Mon profil")).to_have_count(0)
