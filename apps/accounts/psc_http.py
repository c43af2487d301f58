"""The site's HTTP calls to PSC's token endpoint, in one place: timeouts, the CA bundle and,
when configured, the mutual-TLS client certificate PSC may require on that endpoint."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings


def psc_token_post(*, data: dict[str, Any], auth: Any = None) -> requests.Response:
    cert: str | tuple[str, str] | None = None
    if settings.PSC_CLIENT_CERT_FILE and settings.PSC_CLIENT_KEY_FILE:
        cert = (settings.PSC_CLIENT_CERT_FILE, settings.PSC_CLIENT_KEY_FILE)
    elif settings.PSC_CLIENT_CERT_FILE:
        cert = settings.PSC_CLIENT_CERT_FILE  # certificate and key in one PEM
    return requests.post(settings.OIDC_OP_TOKEN_ENDPOINT, data=data, auth=auth, cert=cert,
                         timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
