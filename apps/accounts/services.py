"""Writes for accounts: identity refresh at sign-in, and the one place that hands out a
valid PSC access token (PSC tokens live only in the server-side session)."""

from __future__ import annotations

import logging
import secrets
import time
from importlib import import_module
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from apps.audit.services import audit_log
from apps.core.errors import ProviderUnavailable, SessionExpired
from apps.core.locks import shared_lock
from apps.structures.services import structure_memberships_sync

from .models import ProfessionalExercise, User
from .provider import provider_metadata
from .psc_claims import PSCIdentity
from .psc_http import psc_token_post
from .session_keys import SESSION_LAST_SEEN, SESSION_PASSWORD_SIGNED_IN_AT, SESSION_SIGNED_IN_AT
from .signals import psc_session_ended
from .tokens import (
    PSCTokens,
    session_psc_active,
    session_tokens_clear,
    session_tokens_get,
    session_tokens_set,
)

logger = logging.getLogger(__name__)


def psc_access_token_get(*, session: SessionBase, actor: str = "",
                         force_refresh: bool = False) -> str:
    """A PSC access token valid for at least the refresh margin, refreshed when needed.

    PSC access tokens live 120 s: every mail connection asks here first. Refresh tokens
    rotate (each works once), and the page, its frame, the polls and the workers of one
    session may all find the token due at once: refreshes of a session are serialised
    under a lock, and whoever comes second takes the tokens the first one stored. When the
    refresh grant is refused the PSC session is over, and so is mail access: the tokens are
    forgotten (the ID token is kept for the provider's sign-out) and ``psc_session_ended``
    tells the mail engine to close what it opened with them.
    """
    tokens = session_tokens_get(session=session)
    if tokens and not force_refresh and tokens.access_valid_for(settings.PSC_TOKEN_REFRESH_MARGIN):
        return tokens.access_token
    if tokens is None or not tokens.refresh_token:
        raise SessionExpired("no refresh token in session")
    key = session.session_key
    with shared_lock(name=f"mssweb:psc-refresh:{key or id(session)}", timeout=30, wait=15):
        stored = _stored_tokens(key)
        if stored and stored.refresh_token != tokens.refresh_token and \
                stored.access_valid_for(settings.PSC_TOKEN_REFRESH_MARGIN):
            session_tokens_set(session=session, tokens=stored)  # another process refreshed
            return stored.access_token
        return _refresh(session=session, tokens=stored or tokens, actor=actor)


def _stored_tokens(session_key: str | None) -> PSCTokens | None:
    """The tokens as the session store has them now (another process may have refreshed)."""
    if not session_key:
        return None
    stored = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    return session_tokens_get(session=stored)


def _refresh(*, session: SessionBase, tokens: PSCTokens, actor: str) -> str:
    try:
        response = psc_token_post(data={"grant_type": "refresh_token",
                                        "refresh_token": tokens.refresh_token})
    except requests.RequestException as exc:
        logger.error("PSC token endpoint unreachable: %s", exc.__class__.__name__)
        raise SessionExpired("PSC unreachable") from exc
    if response.status_code != 200:
        # Refused because another process refreshed meanwhile (unlocked while Redis was
        # away)? Its tokens are in the store: the session goes on with them.
        stored = _stored_tokens(session.session_key)
        if stored and stored.refresh_token and stored.refresh_token != tokens.refresh_token:
            logger.info("refresh refused, but another process had refreshed this session")
            session_tokens_set(session=session, tokens=stored)
            return stored.access_token
        audit_log(event="token_refresh_failed", actor=actor, status=response.status_code)
        psc_session_end(session=session, reason="refresh_refused")
        raise SessionExpired(f"refresh refused with HTTP {response.status_code}")
    info = response.json()
    session_tokens_set(session=session, tokens=PSCTokens(
        access_token=str(info["access_token"]),
        refresh_token=str(info.get("refresh_token") or tokens.refresh_token),
        id_token=str(info.get("id_token") or tokens.id_token),
        access_expires_at=time.time() + float(info.get("expires_in", 120))))
    if session.session_key:
        session.save()  # before the lock is released: the next one in line reads them
    return str(info["access_token"])


def session_limit_reached(*, session: SessionBase, now: float | None = None) -> str | None:
    """"expiree" past the absolute lifetime, "inactivite" past the idle limit, else None.
    The same rule for a page and for a worker acting on the stored session, for a PSC
    sign-in and a staff password sign-in alike."""
    started = session.get(SESSION_SIGNED_IN_AT, session.get(SESSION_PASSWORD_SIGNED_IN_AT))
    if started is None:
        return None
    now = time.time() if now is None else now
    signed_in = float(started)
    last_seen = float(session.get(SESSION_LAST_SEEN, signed_in))
    if now - signed_in > settings.MSSANTE_SESSION_MAX_AGE:
        return "expiree"
    if now - last_seen > settings.MSSANTE_IDLE_TIMEOUT:
        return "inactivite"
    return None


def psc_session_end(*, session: SessionBase, reason: str) -> None:
    """The PSC session is over for this site: forget its tokens and tell the mail engine
    to close every connection opened with them (``psc_session_ended``)."""
    user_id = session.get("_auth_user_id")
    session_tokens_clear(session=session, keep_id_token=True)
    if session.session_key:
        session.save()  # before the signal: other processes must see it over
    logger.info("PSC session of user %s over (%s): mail connections closed", user_id, reason)
    psc_session_ended.send(sender=None, user_pk=int(user_id) if user_id else None,
                           session_key=session.session_key)


def psc_logout_url(request: HttpRequest) -> str:
    """PSC end_session URL, called by mozilla-django-oidc's logout view before it logs out.

    The provider sends the person back to ``PSC_POST_LOGOUT_REDIRECT_URI`` (the URI
    registered with it), by default this site's "signed out" page."""
    tokens = session_tokens_get(session=request.session)
    back = settings.PSC_POST_LOGOUT_REDIRECT_URI or request.build_absolute_uri(
        reverse("accounts:logged_out"))
    audit_log(event="signout", actor=getattr(request.user, "idnat", "") or "",
              client_ip=request.META.get("REMOTE_ADDR", ""))
    try:
        end_session = provider_metadata().end_session_endpoint
    except ProviderUnavailable:
        end_session = ""
    if not tokens or not tokens.id_token or not end_session:
        return back
    return end_session + ("&" if "?" in end_session else "?") + urlencode({
        "id_token_hint": tokens.id_token, "post_logout_redirect_uri": back,
        "client_id": settings.OIDC_RP_CLIENT_ID, "state": secrets.token_urlsafe(16)})


@transaction.atomic
def user_identity_refresh(*, user: User, identity: PSCIdentity) -> User:
    """Make the user's names, professions and structures what PSC says at this sign-in."""
    user.username = identity.idnat
    user.idnat = identity.idnat
    user.first_name = identity.given_name[:150]
    user.last_name = identity.family_name[:150]
    user.civility = identity.civility[:8]
    if user.pk is None:
        user.set_unusable_password()  # PSC only: no password sign-in
    user.save()
    user.exercises.all().delete()
    ProfessionalExercise.objects.bulk_create([
        ProfessionalExercise(
            user=user, position=position, profession_code=e.profession_code,
            profession_label=e.profession.label, profession_system=e.profession.system,
            family=e.family.value, category_code=e.category_code, civility=e.civility,
            family_name=e.family_name, given_name=e.given_name,
            savoir_faire_type=e.savoir_faire_type, savoir_faire_code=e.savoir_faire_code)
        for position, e in enumerate(identity.exercises)])
    structure_memberships_sync(user=user, exercises=identity.exercises)
    return user


def psc_access_token_for_session_key(*, session_key: str, actor: str = "",
                                     force_refresh: bool = False) -> str:
    """For background workers acting for a signed-in user: the same refresh rules, on the
    user's stored session. Raises ``SessionExpired`` when the PSC session is over, and the
    worker then stops for that user."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    session = store(session_key=session_key)
    if not session_key or not session.exists(session_key):
        raise SessionExpired("session is gone")
    reason = session_limit_reached(session=session)
    if reason:
        # Idle or past its lifetime with no page asked since: the middleware would sign
        # this person out at their next request; the background stops now.
        if session_psc_active(session=session):
            psc_session_end(session=session, reason=reason)
        raise SessionExpired(f"session {reason}")
    token = psc_access_token_get(session=session, actor=actor, force_refresh=force_refresh)
    session.save()
    return token


def session_purge() -> int:
    """Delete expired sessions (and with them their encrypted PSC tokens). Returns how
    many went."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):
        store.clear_expired()
        return 0
    from .models import LiveSession

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    LiveSession.objects.filter(expires_at__lt=timezone.now()).delete()
    logger.info("expired sessions purged: %d", deleted)
    return deleted
