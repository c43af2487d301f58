"""Secrets kept encrypted at rest (PSC tokens in sessions, client certificates of
application mailboxes): Fernet (AES-128-CBC + HMAC-SHA256) under keys from settings, newest
first: the first encrypts, every one decrypts, so a key rotates by putting a new one in
front. Without keys, they are derived from ``SECRET_KEY`` and its fallbacks, one derivation
per purpose (a key for one never opens the other)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _derived(secret: str, purpose: str) -> bytes:
    digest = hashlib.sha256(f"mssante-web {purpose}\x00".encode() + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secrets: tuple[str, ...], purpose: str) -> MultiFernet:
    material = [k.encode() for k in keys] or [_derived(s, purpose) for s in secrets]
    return MultiFernet([Fernet(k) for k in material])


def fernet_cipher(*, keys: Sequence[str], purpose: str) -> MultiFernet:
    """The cipher for ``purpose`` ("psc-token-key", "client-cert-key"): ``keys`` when set,
    else derived from the secret key and its fallbacks."""
    return _fernet(tuple(keys), (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS), purpose)
