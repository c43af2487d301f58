"""Sign-out in a real browser against a provider whose end_session endpoint is on another
origin than its issuer (issue 27, point 13). The request-level test
(``tests/integration/test_second_provider.py``) reads the CSP header; only Chromium shows
whether it lets the redirect that follows the sign-out form through: with ``form-action``
naming the issuer's origin alone, it stopped there and the provider was never told."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from apps.accounts import provider as provider_module
from tests.integration.test_second_provider import events, running_provider, site_pointed_at

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_sign_out_reaches_the_end_session_endpoint_on_another_origin(page: Page, site: str,
                                                                      tmp_path: Path) -> None:
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    post_logout = site + "/deconnexion/terminee/?fournisseur=second"
    with running_provider(tmp_path, access_token_ttl=120, end_session_origin="http://localhost:PORT",
                          callback=site + "/oidc/callback/", post_logout=post_logout) as issuer, \
            site_pointed_at(issuer, post_logout=post_logout):
        end_session = provider_module.provider_metadata().end_session_endpoint
        assert end_session.startswith("http://localhost:") and not end_session.startswith(issuer)
        page.goto(site + "/")
        page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
        page.locator("select[name=identity]").select_option("educator")  # the provider's own page
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
        assert page.url.startswith(site)
        page.get_by_role("button", name="Se déconnecter").click()
        # The browser followed the redirect to the provider's sign-out page on its other
        # origin (which confirms by itself), then came back to the site.
        page.wait_for_url(end_session + "**")
        expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()
        assert page.url.startswith(site + "/deconnexion/terminee/?fournisseur=second")
        assert {"event": "end_session"} in events(issuer)
    assert blocked == []
