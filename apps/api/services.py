"""API keys: issued once, checked in constant time, revoked at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.utils import timezone

from .models import ApiClient

KEY_PREFIX = "msw"
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_issue(*, structure: Any, name: str) -> tuple[ApiClient, str]:
    """A new client and its key ("msw_<prefix>_<secret>"), which is shown this once."""
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(structure=structure, name=name, prefix=prefix, key_hash=_digest(secret))
    return client, f"{KEY_PREFIX}_{prefix}_{secret}"


def api_key_set(*, client: ApiClient) -> str:
    """A fresh key for an existing client (the admin's "add"): the old one stops working."""
    client.prefix = client.prefix or secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    client.key_hash = _digest(secret)
    return f"{KEY_PREFIX}_{client.prefix}_{secret}"


def api_client_authenticate(*, key: str) -> ApiClient | None:
    """The client this key belongs to, unless revoked; None for anything else."""
    scheme, _sep, rest = key.strip()[:200].partition("_")
    prefix, _sep, secret = rest.partition("_")
    if scheme != KEY_PREFIX or not prefix or not secret:
        return None
    client = ApiClient.objects.select_related("structure").filter(prefix=prefix).first()
    if client is None or client.revoked_at is not None or not hmac.compare_digest(client.key_hash,
                                                                                  _digest(secret)):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_PRECISION:
        # a write per minute at most, not per call (the audit trail has every call)
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client
