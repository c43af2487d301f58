"""Where the OpenID Connect provider's endpoints are: its discovery document, each
endpoint overridable by settings.

An operator sets the issuer and nothing else (``{issuer}/.well-known/openid-configuration``
says the rest, or the document ``PSC_DISCOVERY_URL`` names: Pro Santé Connect publishes
``wallet-openid-configuration``, whose authorization endpoint is its wallet's sign-in page
on another host); an endpoint given in settings wins over discovery. The document is kept in the
process for ``PSC_DISCOVERY_TTL`` seconds, fetched again when a call to the provider fails
(``provider_metadata_forget``), and a stale copy is used rather than none when the
provider cannot be reached.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings

from apps.core.errors import ProviderUnavailable

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_MAX_BYTES = 256 * 1024
# OpenID Connect Discovery §3: when the provider does not list them, Basic is the default.
DEFAULT_AUTH_METHODS = ("client_secret_basic",)


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str
    token_auth_methods: tuple[str, ...] = DEFAULT_AUTH_METHODS
    # RFC 8705 §5: where a client authenticating with its TLS certificate calls the token
    # endpoint, when the provider names another one for that.
    mtls_token_endpoint: str = ""


# settings name -> discovery document key
OVERRIDES = {
    "PSC_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "PSC_TOKEN_ENDPOINT": "token_endpoint",
    "PSC_USERINFO_ENDPOINT": "userinfo_endpoint",
    "PSC_JWKS_ENDPOINT": "jwks_uri",
    "PSC_END_SESSION_ENDPOINT": "end_session_endpoint",
}

_lock = threading.Lock()
_cached: tuple[float, ProviderMetadata] | None = None


def _overrides() -> dict[str, str]:
    return {key: value for name, key in OVERRIDES.items()
            if (value := getattr(settings, name, ""))}


def _fetch_document(issuer: str) -> dict[str, object]:
    url = settings.PSC_DISCOVERY_URL or issuer.rstrip("/") + DISCOVERY_PATH
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL,
                            stream=True, headers={"Accept": "application/json"})
    try:
        if response.status_code != 200:
            raise ProviderUnavailable(f"discovery answered HTTP {response.status_code}")
        body = response.raw.read(DISCOVERY_MAX_BYTES + 1, decode_content=True)
    finally:
        response.close()
    if len(body) > DISCOVERY_MAX_BYTES:
        raise ProviderUnavailable("discovery document too large")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ProviderUnavailable("discovery document is not JSON") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable("discovery document is not a JSON object")
    # Discovery §4.3: the issuer in the document must be the one we asked, exactly.
    if document.get("issuer") != issuer:
        raise ProviderUnavailable(f"discovery issuer {document.get('issuer')!r} is not {issuer!r}")
    return document


def _metadata(document: dict[str, object], overrides: dict[str, str]) -> ProviderMetadata:
    def endpoint(key: str) -> str:
        value = overrides.get(key) or document.get(key) or ""
        return value if isinstance(value, str) else ""

    methods = document.get("token_endpoint_auth_methods_supported")
    auth_methods = (tuple(m for m in methods if isinstance(m, str))
                    if isinstance(methods, list) and methods else DEFAULT_AUTH_METHODS)
    aliases = document.get("mtls_endpoint_aliases")
    mtls_token = aliases.get("token_endpoint") if isinstance(aliases, dict) else ""
    metadata = ProviderMetadata(
        issuer=settings.PSC_ISSUER, authorization_endpoint=endpoint("authorization_endpoint"),
        token_endpoint=endpoint("token_endpoint"), userinfo_endpoint=endpoint("userinfo_endpoint"),
        jwks_uri=endpoint("jwks_uri"), end_session_endpoint=endpoint("end_session_endpoint"),
        token_auth_methods=auth_methods,
        mtls_token_endpoint=mtls_token if isinstance(mtls_token, str) and not overrides.get(
            "token_endpoint") else "")
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not getattr(metadata, key)]
    if missing:
        raise ProviderUnavailable(f"provider metadata lacks {', '.join(missing)}")
    return metadata


def provider_metadata() -> ProviderMetadata:
    """The provider's endpoints. Raises ``ProviderUnavailable`` (logged) when discovery is
    needed and neither the provider nor an earlier copy can give it."""
    global _cached
    overrides = _overrides()
    if len(overrides) == len(OVERRIDES) and not settings.PSC_DISCOVERY_REQUIRED:
        # Every endpoint given by hand: no discovery (a provider without one).
        return _metadata({}, overrides)
    with _lock:
        if _cached and time.monotonic() - _cached[0] < settings.PSC_DISCOVERY_TTL:
            return _cached[1]
        stale = _cached
        try:
            metadata = _metadata(_fetch_document(settings.PSC_ISSUER), overrides)
        except (requests.RequestException, ProviderUnavailable) as exc:
            if stale is not None:
                logger.warning("OIDC discovery at %s failed (%s); the previous copy is kept",
                               settings.PSC_ISSUER, exc)
                return stale[1]
            logger.error("OIDC discovery at %s failed: %s", settings.PSC_ISSUER, exc)
            raise ProviderUnavailable(str(exc)) from exc
        _cached = (time.monotonic(), metadata)
        return metadata


def provider_metadata_forget() -> None:
    """After a failed call to the provider: the next use fetches discovery again (keys
    rotated, endpoints moved), keeping this copy in case the provider is down."""
    global _cached
    with _lock:
        if _cached is not None:
            _cached = (float("-inf"), _cached[1])
