"""PSC tokens in the server-side session, encrypted.

The session store (database rows, their backups) must never hold a PSC token in clear: the
access, refresh and ID tokens are kept as one Fernet ciphertext (AES-128-CBC + HMAC-SHA256)
under keys from settings. ``MSSANTE_TOKEN_KEYS`` lists them, newest first: the first
encrypts, every one decrypts, so a key is rotated by putting a new one in front and
removing the old one once sessions made with it have expired (4 h at most). Without that
setting the keys are derived from ``SECRET_KEY`` and its fallbacks, which rotate the same
way. A ciphertext no key opens is a session that is over, not an error page.

Next to the ciphertext the session keeps ``psc_active`` in clear (not a secret): the session
store copies it into ``LiveSession``, where the background sync finds live PSC sessions.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from apps.core.crypto import fernet_cipher

from .session_keys import SESSION_PSC_ACTIVE, SESSION_PSC_TOKENS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PSCTokens:
    access_token: str
    refresh_token: str
    id_token: str
    access_expires_at: float

    def __repr__(self) -> str:  # never a token in a log line or a traceback
        return f"PSCTokens(expires_at={self.access_expires_at:.0f})"

    def access_valid_for(self, seconds: float) -> bool:
        return bool(self.access_token) and self.access_expires_at - time.time() > seconds

    def with_access_expiring(self, at: float) -> PSCTokens:
        return replace(self, access_expires_at=at)


def token_cipher() -> MultiFernet:
    return fernet_cipher(keys=settings.MSSANTE_TOKEN_KEYS, purpose="psc-token-key")


def session_tokens_set(*, session: SessionBase, tokens: PSCTokens) -> None:
    payload = json.dumps({"a": tokens.access_token, "r": tokens.refresh_token,
                          "i": tokens.id_token, "e": tokens.access_expires_at}).encode()
    session[SESSION_PSC_TOKENS] = token_cipher().encrypt(payload).decode("ascii")
    session[SESSION_PSC_ACTIVE] = bool(tokens.refresh_token)


def session_tokens_get(*, session: SessionBase) -> PSCTokens | None:
    """The session's tokens, or None when it has none or none we can open."""
    sealed = session.get(SESSION_PSC_TOKENS)
    if not sealed:
        return None
    try:
        data = json.loads(token_cipher().decrypt(str(sealed).encode("ascii")))
    except (InvalidToken, ValueError):
        logger.warning("PSC tokens in a session could not be decrypted (key rotated away?): "
                       "that PSC session is treated as over")
        return None
    return PSCTokens(access_token=str(data.get("a", "")), refresh_token=str(data.get("r", "")),
                     id_token=str(data.get("i", "")), access_expires_at=float(data.get("e", 0)))


def session_tokens_clear(*, session: SessionBase, keep_id_token: bool = False) -> None:
    """Forget the tokens (refresh refused, session over). The ID token may be kept: the
    provider's end_session needs it as a hint at sign-out."""
    tokens = session_tokens_get(session=session) if keep_id_token else None
    session.pop(SESSION_PSC_TOKENS, None)
    session[SESSION_PSC_ACTIVE] = False
    if tokens and tokens.id_token:
        session_tokens_set(session=session, tokens=PSCTokens("", "", tokens.id_token, 0.0))


def session_psc_active(*, session: SessionBase) -> bool:
    """Whether this session still holds a PSC refresh token (mail can be reached)."""
    return bool(session.get(SESSION_PSC_ACTIVE))
