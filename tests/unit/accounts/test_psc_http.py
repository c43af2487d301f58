"""The token call carries the mutual-TLS client certificate when one is configured.

A fake transport is enough here: what matters is what the site hands to requests; the
simulator speaks plain http on loopback and cannot demand a client certificate."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from apps.accounts import psc_http


@pytest.mark.parametrize("cert,key,expected", [
    ("", "", None), ("/etc/psc/client.pem", "/etc/psc/client.key",
                     ("/etc/psc/client.pem", "/etc/psc/client.key")),
    ("/etc/psc/both.pem", "", "/etc/psc/both.pem")])
def test_client_certificate_on_token_call(monkeypatch: pytest.MonkeyPatch, cert: str, key: str,
                                          expected: Any) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(psc_http.requests, "post", lambda url, **kw: seen.update(kw, url=url))
    with override_settings(PSC_CLIENT_CERT_FILE=cert, PSC_CLIENT_KEY_FILE=key,
                           OIDC_OP_TOKEN_ENDPOINT="https://psc.example/token", OIDC_TIMEOUT=7):
        psc_http.psc_token_post(data={"grant_type": "refresh_token"})
    assert seen["cert"] == expected and seen["timeout"] == 7
    assert seen["url"] == "https://psc.example/token"
