"""A professional's Pro Santé Connect access token, presented by their business software
when an API call acts for them (issue 29): who it belongs to, asked of PSC's userinfo
endpoint (the token is opaque to us, PSC alone says whether it is live), and a short
server-side session holding it, so that the outbox worker sends with it exactly as it does
for a signed-in page (it never refreshes: the session has no refresh token).

The answer is kept one minute per token (a SHA-256 of it, never the token): a tool calling
often does not make PSC answer each call, and a revoked token stops within that minute."""

from __future__ import annotations

import hashlib
import logging
import time
from importlib import import_module

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError, ProviderUnavailable

from .models import User
from .session_keys import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT
from .tokens import PSCTokens, session_tokens_set

logger = logging.getLogger(__name__)
ANSWER_SECONDS = 60
TOKEN_SESSION_SECONDS = 300  # the outbox sends within seconds; the row goes at the next purge
ACCESS_TOKEN_SECONDS = 110  # PSC's access tokens live 120 s; we never know when it was issued


class PSCTokenRefused(ApplicationError):
    default_message = _("Pro Santé Connect does not recognise this professional's token (expired or "
                        "revoked): ask them to sign in again in your software.")


def _key(access_token: str) -> str:
    return "mssweb:psc-bearer:" + hashlib.sha256(access_token.encode()).hexdigest()


def psc_token_user(*, access_token: str) -> User:
    """The active user this live PSC access token belongs to; ``PSCTokenRefused`` when PSC
    does not know it or it names nobody here; ``ProviderUnavailable`` when PSC is down."""
    from .oidc import PSCAuthenticationBackend

    token = access_token.strip()[:4096]
    if not token:
        raise PSCTokenRefused("empty token")
    user_id = cache.get(_key(token))
    if user_id is None:
        try:
            claims = PSCAuthenticationBackend().get_userinfo(token, None, None)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in (400, 401, 403):
                raise PSCTokenRefused(f"userinfo answered {status}") from exc
            raise ProviderUnavailable(f"userinfo answered {status}") from exc
        except SuspiciousOperation as exc:  # a signed userinfo whose signature fails
            raise PSCTokenRefused(str(exc)) from exc
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"userinfo: {exc.__class__.__name__}") from exc
        idnat = str(claims.get("SubjectNameID", ""))[:40] if isinstance(claims, dict) else ""
        user_id = User.objects.filter(idnat=idnat, is_active=True).values_list("pk", flat=True).first() \
            if idnat else None
        if user_id is None:
            raise PSCTokenRefused(f"token of {idnat or 'nobody'}: no active user here",
                                  user_message=str(_("This professional has never signed in to the webmail: "
                                                     "they must sign in once before their software acts "
                                                     "for them.")))
        cache.set(_key(token), user_id, ANSWER_SECONDS)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise PSCTokenRefused(f"user {user_id} deactivated")
    return user


def psc_token_session(*, user: User, access_token: str) -> str:
    """A stored session for ``user`` holding this token only (no refresh token): what the
    outbox worker reads to send as them. Expires in five minutes."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = time.time()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "apps.accounts.oidc.PSCAuthenticationBackend"
    store[SESSION_SIGNED_IN_AT] = now
    store[SESSION_LAST_SEEN] = now
    tokens = PSCTokens(access_token=access_token.strip(), refresh_token="", id_token="",
                       access_expires_at=now + ACCESS_TOKEN_SECONDS)
    session_tokens_set(session=store, tokens=tokens)
    store.set_expiry(TOKEN_SESSION_SECONDS)
    store.save()
    return str(store.session_key)
