"""Secrets kept encrypted at rest (PSC tokens in sessions, client certificates of
application mailboxes): Fernet (AES-128-CBC + HMAC-SHA256) under keys from settings, newest
first: the first encrypts, every one decrypts, so a key rotates by putting a new one in
front. Without keys, they are derived from ``SECRET_KEY`` and its fallbacks, one derivation
per purpose (a key for one never opens the other)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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


def patient_reference(matricule: str) -> str:
    """A pseudonymous reference to a patient for the audit trail and the logs (issue 27:
    data minimisation): HMAC-SHA256 of the INS under a key derived from the secret key,
    shortened. Someone who has the INS and the site can find the patient's events; the
    exported trail and the logs do not carry the INS itself."""
    key = _derived(settings.SECRET_KEY, "patient-reference")
    digest = hmac.new(key, matricule.strip().upper().encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:16]}"


# An INS in a text: 13 characters (the 6th and 7th may be Corsica's 2A/2B) and a 2-digit key.
# Fixed repetitions only: linear on any input.
INS_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{5}(?:[0-9]{2}|2[AaBb])[0-9]{8}(?![0-9A-Za-z])")


def ins_pseudonymised(text: str) -> str:
    """``text`` with every valid INS replaced by its ``patient_reference``."""
    from mailproto.identifiers import ins_valid

    def replaced(found: re.Match[str]) -> str:
        return patient_reference(found.group(0)) if ins_valid(found.group(0)) else found.group(0)

    return INS_IN_TEXT.sub(replaced, text)


def _session_cipher() -> MultiFernet:
    return fernet_cipher(keys=(), purpose="session-reference")


def session_reference(session_key: str | None) -> str:
    """What queued work and outbox rows carry instead of a session key (issue 27): the key
    is the sign-in cookie, and task arguments sit in the broker, rows in the database. An
    encrypted reference is useless without the site's secret key."""
    return _session_cipher().encrypt(session_key.encode()).decode("ascii") if session_key else ""


def session_key_from_reference(reference: str | None) -> str | None:
    """The session key a reference names (None for none, or one no key opens). A bare
    session key, from work queued before references existed, is taken as it is."""
    if not reference:
        return None
    if not reference.startswith("gAAAA"):  # every Fernet token starts so
        return reference if reference.isascii() and reference.isalnum() and len(reference) <= 40 else None
    try:
        return _session_cipher().decrypt(reference.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        return None
