"""Keyboard: j/k through the list, o to open, r to reply, ? for the help overlay."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in
from tests.conftest import PSCSim

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_shortcuts(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None) -> None:
    sign_in(page, site)  # waits for keys.js, deferred, to listen
    page.locator("main").focus()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Raccourcis clavier")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.locator("main").focus()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    first = page.locator("table.messages tbody tr").first
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))
    subject = first.locator("a.open").inner_text()
    page.keyboard.press("o")
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    page.wait_for_load_state("load")  # the message page's keys.js too
    page.keyboard.press("r")
    expect(page).to_have_url(re.compile(r"/ecrire/\?mode=reply"))
    expect(page.get_by_label("Objet")).to_have_value(re.compile(r"^Re: "))
