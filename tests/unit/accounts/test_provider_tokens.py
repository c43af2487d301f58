"""Provider discovery (cached, overridable, stale copy kept when the provider is down) and
the encrypted token store (rotation, a key rotated away ends the session, never a token
in clear)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import override_settings

from apps.accounts import provider
from apps.accounts.tokens import (
    PSCTokens,
    session_psc_active,
    session_tokens_clear,
    session_tokens_get,
    session_tokens_set,
)
from apps.core.errors import ProviderUnavailable

ISSUER = "https://auth.example/realms/r"
DOCUMENT = {"issuer": ISSUER, "authorization_endpoint": ISSUER + "/auth",
            "token_endpoint": ISSUER + "/token", "userinfo_endpoint": ISSUER + "/userinfo",
            "jwks_uri": ISSUER + "/certs", "end_session_endpoint": ISSUER + "/logout",
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"]}
NO_OVERRIDES = {f"PSC_{n}_ENDPOINT": "" for n in ("AUTHORIZATION", "TOKEN", "USERINFO", "JWKS",
                                                   "END_SESSION")}


@pytest.fixture
def discovery(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    state: dict[str, Any] = {"calls": 0, "document": dict(DOCUMENT), "fail": False}

    def fetch(issuer: str) -> dict[str, object]:
        state["calls"] += 1
        if state["fail"]:
            raise requests.ConnectionError("down")
        return dict(state["document"])

    monkeypatch.setattr(provider, "_fetch_document", fetch)
    monkeypatch.setattr(provider, "_cached", None)
    return state


@override_settings(PSC_ISSUER=ISSUER, PSC_DISCOVERY_TTL=3600, **NO_OVERRIDES)
def test_the_issuer_is_enough_and_discovery_is_cached(discovery: dict[str, Any]) -> None:
    first = provider.provider_metadata()
    assert first.token_endpoint == ISSUER + "/token"
    assert first.token_auth_methods == ("private_key_jwt", "client_secret_basic")
    assert provider.provider_metadata() is first and discovery["calls"] == 1


@override_settings(PSC_ISSUER=ISSUER, **dict(NO_OVERRIDES, PSC_AUTHORIZATION_ENDPOINT="https://wallet.example/auth"))
def test_an_endpoint_set_by_hand_wins(discovery: dict[str, Any]) -> None:
    metadata = provider.provider_metadata()
    assert metadata.authorization_endpoint == "https://wallet.example/auth"
    assert metadata.token_endpoint == ISSUER + "/token"


@override_settings(PSC_ISSUER=ISSUER, **NO_OVERRIDES)
def test_a_failed_call_refetches_and_keeps_the_stale_copy_when_down(discovery: dict[str, Any]) -> None:
    first = provider.provider_metadata()
    provider.provider_metadata_forget()
    discovery["fail"] = True
    assert provider.provider_metadata() == first  # provider down: the copy still serves
    assert discovery["calls"] == 2
    discovery["fail"] = False
    discovery["document"]["token_endpoint"] = ISSUER + "/token2"
    provider.provider_metadata_forget()
    assert provider.provider_metadata().token_endpoint == ISSUER + "/token2"


@override_settings(PSC_ISSUER=ISSUER, **NO_OVERRIDES)
def test_no_copy_and_no_provider_is_a_clear_error(discovery: dict[str, Any]) -> None:
    discovery["fail"] = True
    with pytest.raises(ProviderUnavailable):
        provider.provider_metadata()


@override_settings(PSC_ISSUER=ISSUER, **NO_OVERRIDES)
def test_a_document_for_another_issuer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Raw:
        def read(self, n: int, decode_content: bool) -> bytes:
            return json.dumps(dict(DOCUMENT, issuer="https://evil.example")).encode()

    class Answer:
        status_code = 200
        raw = Raw()

        def close(self) -> None:
            pass

    monkeypatch.setattr(provider.requests, "get", lambda *a, **k: Answer())
    monkeypatch.setattr(provider, "_cached", None)
    with pytest.raises(ProviderUnavailable, match="evil"):
        provider.provider_metadata()


TOKENS = PSCTokens(access_token="eyJhbGciOi.access.sig", refresh_token="eyJrefresh.value.sig",
                   id_token="eyJid.token.sig", access_expires_at=1e10)


@pytest.mark.requirement("ECO.1.2.5")
def test_tokens_are_encrypted_in_the_session() -> None:
    session = SessionStore()
    session_tokens_set(session=session, tokens=TOKENS)
    stored = json.dumps(dict(session.items()))
    for token in (TOKENS.access_token, TOKENS.refresh_token, TOKENS.id_token):
        assert token not in stored
        assert base64.b64encode(token.encode()).decode()[:12] not in stored
    assert session_tokens_get(session=session) == TOKENS
    assert session_psc_active(session=session)
    assert "eyJ" not in repr(session_tokens_get(session=session))


def test_key_rotation_reads_old_sessions_and_a_removed_key_ends_them() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    session = SessionStore()
    with override_settings(MSSANTE_TOKEN_KEYS=[old]):
        session_tokens_set(session=session, tokens=TOKENS)
    with override_settings(MSSANTE_TOKEN_KEYS=[new, old]):
        assert session_tokens_get(session=session) == TOKENS
    with override_settings(MSSANTE_TOKEN_KEYS=[new]):
        assert session_tokens_get(session=session) is None


def test_keys_derived_from_the_secret_key_follow_its_fallbacks() -> None:
    session = SessionStore()
    with override_settings(MSSANTE_TOKEN_KEYS=[], SECRET_KEY="old-secret", SECRET_KEY_FALLBACKS=[]):
        session_tokens_set(session=session, tokens=TOKENS)
    with override_settings(MSSANTE_TOKEN_KEYS=[], SECRET_KEY="new-secret",
                           SECRET_KEY_FALLBACKS=["old-secret"]):
        assert session_tokens_get(session=session) == TOKENS
    with override_settings(MSSANTE_TOKEN_KEYS=[], SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=[]):
        assert session_tokens_get(session=session) is None


def test_clearing_keeps_only_the_id_token_for_sign_out() -> None:
    session = SessionStore()
    session_tokens_set(session=session, tokens=TOKENS)
    session_tokens_clear(session=session, keep_id_token=True)
    kept = session_tokens_get(session=session)
    assert kept is not None and kept.id_token == TOKENS.id_token
    assert not kept.access_token and not kept.refresh_token
    assert not session_psc_active(session=session)


def shared_discovery(name: str) -> dict[str, object]:
    from tests.conftest import shared_fixture

    return dict(json.loads(shared_fixture("mssante", name).read_text(encoding="utf-8")))


def test_real_psc_discovery_documents_are_understood() -> None:
    """PSC's published metadata (../shared/fixtures): the wallet's sign-in page, Basic
    chosen among the five methods PSC lists, and the mutual-TLS alias for certificates."""
    from apps.accounts.psc_http import token_auth_method

    bas = shared_discovery("psc_discovery_bas_legacy_esw_lemonldap.json")
    with override_settings(PSC_ISSUER=bas["issuer"], OIDC_RP_CLIENT_SECRET="s",
                           PSC_CLIENT_ASSERTION_KEY_FILE="", PSC_CLIENT_CERT_FILE="",
                           PSC_TOKEN_AUTH_METHOD="", **NO_OVERRIDES):
        metadata = provider._metadata(bas, {})
        assert metadata.authorization_endpoint == "https://wallet.bas.esw.esante.gouv.fr/auth"
        assert metadata.end_session_endpoint.endswith("/protocol/openid-connect/logout")
        assert "private_key_jwt" in metadata.token_auth_methods
        assert token_auth_method(metadata) == "client_secret_basic"
    keycloak = shared_discovery("psc_discovery_keycloak_mock_localhost.json")
    with override_settings(PSC_ISSUER=keycloak["issuer"], OIDC_RP_CLIENT_SECRET="",
                           PSC_CLIENT_ASSERTION_KEY_FILE="", PSC_CLIENT_CERT_FILE="/etc/psc/c.pem",
                           PSC_TOKEN_AUTH_METHOD="", **NO_OVERRIDES):
        metadata = provider._metadata(keycloak, {})
        assert metadata.mtls_token_endpoint.endswith("/protocol/openid-connect/token")
        assert token_auth_method(metadata) == "tls_client_auth"


@override_settings(PSC_ISSUER=ISSUER, PSC_DISCOVERY_URL=ISSUER + "/.well-known/wallet-openid-configuration",
                   **NO_OVERRIDES)
def test_the_discovery_url_can_name_psc_wallet_document(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    class Raw:
        def read(self, n: int, decode_content: bool) -> bytes:
            return json.dumps(DOCUMENT).encode()

    class Answer:
        status_code = 200
        raw = Raw()

        def close(self) -> None:
            pass

    monkeypatch.setattr(provider.requests, "get", lambda url, **k: (asked.append(url), Answer())[1])
    monkeypatch.setattr(provider, "_cached", None)
    provider.provider_metadata()
    assert asked == [ISSUER + "/.well-known/wallet-openid-configuration"]
