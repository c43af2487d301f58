"""The site's calls to the provider's token endpoint, in one place: the endpoint from
discovery, client authentication, timeouts, the CA bundle, the mutual-TLS certificate PSC
may require, and a log line with the provider's own error (never a token).

Client authentication (RFC 6749 §2.3, OpenID Connect Core §9) is the one set by
``PSC_TOKEN_AUTH_METHOD`` or, when that is empty, the first of ours the provider lists in
``token_endpoint_auth_methods_supported``: Basic first (RFC 6749's default), then the
secret in the body, then a signed assertion (``private_key_jwt``), then the TLS client
certificate alone.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import jwt
import requests
from django.conf import settings

from apps.core.errors import ProviderUnavailable

from .provider import ProviderMetadata, provider_metadata, provider_metadata_forget

logger = logging.getLogger(__name__)

METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth",
           "self_signed_tls_client_auth")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ERROR_TEXT_MAX = 200


def token_auth_method(metadata: ProviderMetadata) -> str:
    """The client authentication to use with this provider."""
    if settings.PSC_TOKEN_AUTH_METHOD:
        return str(settings.PSC_TOKEN_AUTH_METHOD)
    ours: list[str] = []
    if settings.OIDC_RP_CLIENT_SECRET:
        ours += ["client_secret_basic", "client_secret_post"]
    if settings.PSC_CLIENT_ASSERTION_KEY_FILE:
        ours.append("private_key_jwt")
    if settings.PSC_CLIENT_CERT_FILE:
        ours += ["tls_client_auth", "self_signed_tls_client_auth"]
    for method in ours:
        if method in metadata.token_auth_methods:
            return method
    chosen = ours[0] if ours else "client_secret_basic"
    logger.warning("the provider lists none of our client authentications (%s); trying %s",
                   ", ".join(metadata.token_auth_methods), chosen)
    return chosen


def _client_assertion(token_endpoint: str) -> str:
    """RFC 7523 client assertion, signed with the key registered at the provider."""
    key = Path(settings.PSC_CLIENT_ASSERTION_KEY_FILE).read_bytes()
    now = int(time.time())
    claims = {"iss": settings.OIDC_RP_CLIENT_ID, "sub": settings.OIDC_RP_CLIENT_ID,
              "aud": token_endpoint, "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60}
    headers = {"kid": settings.PSC_CLIENT_ASSERTION_KID} if settings.PSC_CLIENT_ASSERTION_KID else None
    return jwt.encode(claims, key, algorithm=settings.PSC_CLIENT_ASSERTION_ALG, headers=headers)


def client_authentication(*, method: str, token_endpoint: str,
                          data: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """The form and HTTP Basic credentials for ``method``; the form never carries the
    secret unless the method says so."""
    form = {k: v for k, v in data.items() if k not in ("client_id", "client_secret")}
    client_id, secret = settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET
    if method == "client_secret_basic":
        # RFC 6749 §2.3.1: both form-urlencoded before the Basic encoding.
        return form, (quote_plus(client_id), quote_plus(secret))
    form["client_id"] = client_id
    if method == "client_secret_post":
        form["client_secret"] = secret
    elif method == "private_key_jwt":
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = _client_assertion(token_endpoint)
    elif method not in ("tls_client_auth", "self_signed_tls_client_auth"):
        raise ValueError(f"unknown token endpoint authentication {method!r}")
    return form, None


def provider_error(response: requests.Response) -> str:
    """What the provider said went wrong (RFC 6749 §5.2): status, ``error`` and
    ``error_description``, printable and bounded, for the operator's log. The body is
    never logged whole: it could hold a token."""
    error = description = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = str(body.get("error", ""))
        description = str(body.get("error_description", ""))
    text = " ".join(part for part in (f"HTTP {response.status_code}", error, description) if part)
    return "".join(c if c.isprintable() else " " for c in text)[:ERROR_TEXT_MAX]


def psc_token_post(*, data: dict[str, Any]) -> requests.Response:
    """POST a grant to the token endpoint, authenticated as this client."""
    try:
        metadata = provider_metadata()
    except ProviderUnavailable as exc:  # callers treat it as the provider unreachable
        raise requests.ConnectionError(f"provider metadata unavailable: {exc}") from exc
    method = token_auth_method(metadata)
    form, basic = client_authentication(method=method, token_endpoint=metadata.token_endpoint,
                                        data=data)
    cert: str | tuple[str, str] | None = None
    if settings.PSC_CLIENT_CERT_FILE and settings.PSC_CLIENT_KEY_FILE:
        cert = (settings.PSC_CLIENT_CERT_FILE, settings.PSC_CLIENT_KEY_FILE)
    elif settings.PSC_CLIENT_CERT_FILE:
        cert = settings.PSC_CLIENT_CERT_FILE  # certificate and key in one PEM
    # With a client certificate, the provider's mutual-TLS alias of the endpoint if it has one.
    url = metadata.mtls_token_endpoint if cert and metadata.mtls_token_endpoint else metadata.token_endpoint
    try:
        response = requests.post(url, data=form, auth=basic, cert=cert,
                                 timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
    except requests.RequestException:
        provider_metadata_forget()
        raise
    if response.status_code != 200:
        logger.warning("token endpoint refused a %s grant (client authentication %s): %s",
                       data.get("grant_type", "?"), method, provider_error(response))
        if response.status_code >= 500 or response.status_code == 404:
            provider_metadata_forget()
    return response
