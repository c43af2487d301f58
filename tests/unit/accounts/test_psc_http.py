"""What the site hands to the token endpoint: client authentication chosen from the
provider's discovery (Basic first), the mutual-TLS certificate when configured, and the
provider's error in the log, never a token.

A fake transport is enough here: what matters is what the site hands to requests; the
integration suites run the same code against the PSC simulator and a second provider."""

from __future__ import annotations

import base64
import logging
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings

from apps.accounts import psc_http
from apps.accounts.provider import ProviderMetadata

TOKEN_URL = "https://psc.example/token"


def metadata(*methods: str) -> ProviderMetadata:
    return ProviderMetadata(
        issuer="https://psc.example", authorization_endpoint="https://wallet.example/auth",
        token_endpoint=TOKEN_URL, userinfo_endpoint="https://psc.example/userinfo",
        jwks_uri="https://psc.example/certs", end_session_endpoint="https://psc.example/logout",
        token_auth_methods=methods or ("client_secret_basic",))


class Answer:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> Any:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def post(url: str, **kw: Any) -> Answer:
        seen.update(kw, url=url)
        return seen.get("answer", Answer(200, {"access_token": "x"}))

    monkeypatch.setattr(psc_http.requests, "post", post)
    monkeypatch.setattr(psc_http, "provider_metadata", lambda: seen.get("metadata", metadata()))
    return seen


@pytest.mark.parametrize("cert,key,expected", [
    ("", "", None), ("/etc/psc/client.pem", "/etc/psc/client.key",
                     ("/etc/psc/client.pem", "/etc/psc/client.key")),
    ("/etc/psc/both.pem", "", "/etc/psc/both.pem")])
def test_client_certificate_on_token_call(sent: dict[str, Any], cert: str, key: str,
                                          expected: Any) -> None:
    with override_settings(PSC_CLIENT_CERT_FILE=cert, PSC_CLIENT_KEY_FILE=key, OIDC_TIMEOUT=7):
        psc_http.psc_token_post(data={"grant_type": "refresh_token"})
    assert sent["cert"] == expected and sent["timeout"] == 7
    assert sent["url"] == TOKEN_URL


@override_settings(OIDC_RP_CLIENT_ID="mss web", OIDC_RP_CLIENT_SECRET="s3cr:t/+", PSC_TOKEN_AUTH_METHOD="")
def test_basic_is_preferred_and_form_encoded(sent: dict[str, Any]) -> None:
    sent["metadata"] = metadata("client_secret_post", "client_secret_basic")
    psc_http.psc_token_post(data={"grant_type": "refresh_token", "refresh_token": "r",
                                  "client_id": "mss web", "client_secret": "s3cr:t/+"})
    # RFC 6749 §2.3.1: id and secret form-urlencoded, and the secret not in the body.
    assert sent["auth"] == ("mss+web", "s3cr%3At%2F%2B")
    assert sent["data"] == {"grant_type": "refresh_token", "refresh_token": "r"}


@override_settings(OIDC_RP_CLIENT_SECRET="s", PSC_TOKEN_AUTH_METHOD="")
def test_secret_in_the_body_when_the_provider_only_takes_that(sent: dict[str, Any]) -> None:
    sent["metadata"] = metadata("client_secret_post")
    psc_http.psc_token_post(data={"grant_type": "refresh_token"})
    assert sent["auth"] is None
    assert sent["data"]["client_secret"] == "s" and sent["data"]["client_id"]


@override_settings(OIDC_RP_CLIENT_SECRET="s", PSC_TOKEN_AUTH_METHOD="client_secret_post")
def test_the_method_set_by_the_operator_wins(sent: dict[str, Any]) -> None:
    psc_http.psc_token_post(data={"grant_type": "refresh_token"})
    assert sent["auth"] is None and sent["data"]["client_secret"] == "s"


def test_private_key_jwt_signs_an_assertion_for_the_token_endpoint(
        sent: dict[str, Any], tmp_path: Any) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "client.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    sent["metadata"] = metadata("private_key_jwt", "client_secret_basic")
    with override_settings(OIDC_RP_CLIENT_SECRET="", PSC_CLIENT_ASSERTION_KEY_FILE=str(path),
                           PSC_TOKEN_AUTH_METHOD="", OIDC_RP_CLIENT_ID="mssante-web"):
        psc_http.psc_token_post(data={"grant_type": "refresh_token"})
    form = sent["data"]
    assert sent["auth"] is None and "client_secret" not in form
    assert form["client_assertion_type"] == psc_http.ASSERTION_TYPE
    claims = jwt.decode(form["client_assertion"], key.public_key(), algorithms=["RS256"],
                        audience=TOKEN_URL)
    assert claims["iss"] == claims["sub"] == "mssante-web" and claims["exp"] - claims["iat"] == 60


@override_settings(OIDC_RP_CLIENT_SECRET="", PSC_CLIENT_CERT_FILE="/etc/psc/c.pem",
                   PSC_TOKEN_AUTH_METHOD="")
def test_tls_client_auth_sends_only_the_client_id(sent: dict[str, Any]) -> None:
    sent["metadata"] = metadata("tls_client_auth")
    psc_http.psc_token_post(data={"grant_type": "refresh_token"})
    assert sent["auth"] is None and sent["cert"] == "/etc/psc/c.pem"
    assert set(sent["data"]) == {"grant_type", "client_id"}


def test_the_providers_error_is_logged_never_the_body(sent: dict[str, Any],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    sent["answer"] = Answer(401, {"error": "invalid_client", "error_description":
                                  "Invalid client\nor secret", "leak": "eyJrefresh"})
    with caplog.at_level(logging.WARNING):
        response = psc_http.psc_token_post(data={"grant_type": "refresh_token",
                                                 "refresh_token": "eyJrefresh"})
    assert response.status_code == 401
    assert "HTTP 401 invalid_client Invalid client or secret" in caplog.text
    assert "client authentication client_secret_basic" in caplog.text
    assert "eyJrefresh" not in caplog.text


def test_a_non_json_error_still_says_the_status() -> None:
    assert psc_http.provider_error(Answer(502, ValueError("html"))) == "HTTP 502"  # type: ignore[arg-type]
    long = psc_http.provider_error(Answer(400, {"error": "x" * 1000}))  # type: ignore[arg-type]
    assert len(long) == psc_http.ERROR_TEXT_MAX


def test_basic_header_on_the_wire() -> None:
    """requests really puts the form-encoded pair in the Authorization header."""
    request = requests.Request("POST", TOKEN_URL, auth=("mss+web", "a%2Fb"), data={"x": "1"}).prepare()
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"mss+web:a%2Fb").decode()


@override_settings(OIDC_RP_CLIENT_SECRET="", PSC_CLIENT_CERT_FILE="/etc/psc/c.pem", PSC_TOKEN_AUTH_METHOD="")
def test_a_client_certificate_goes_to_the_mutual_tls_alias(sent: dict[str, Any]) -> None:
    from dataclasses import replace

    sent["metadata"] = replace(metadata("tls_client_auth"), mtls_token_endpoint="https://mtls.psc.example/token")
    psc_http.psc_token_post(data={"grant_type": "refresh_token"})
    assert sent["url"] == "https://mtls.psc.example/token" and sent["cert"] == "/etc/psc/c.pem"
