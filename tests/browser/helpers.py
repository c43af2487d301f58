"""What browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def sign_in(page: Page, site: str, who: str = "Claire MARTIN", then: str = "/") -> None:
    """Sign in through the PSC simulator as ``who``, starting from ``then`` (where the site
    brings the person back), and wait for that page's deferred scripts: keys pressed or
    fields typed in before they run would not do what a person sees them do."""
    page.goto(site + then)
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.get_by_role("button", name=who).click()
    if then == "/":
        expect(page.get_by_role("heading", name="Boîte de réception")).to_be_visible()
    page.wait_for_load_state("load")
