"""Writes for accounts: identity refresh at sign-in, and the one place that hands out a
valid PSC access token (PSC tokens live only in the server-side session)."""

from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from apps.audit.services import audit_log
from apps.core.errors import SessionExpired
from apps.structures.services import structure_memberships_sync

from .models import ProfessionalExercise, User
from .psc_claims import PSCIdentity
from .psc_http import psc_token_post
from .session_keys import (
    SESSION_ACCESS_EXPIRES,
    SESSION_ACCESS_TOKEN,
    SESSION_ID_TOKEN,
    SESSION_REFRESH_TOKEN,
)

logger = logging.getLogger(__name__)


def psc_access_token_get(*, session: SessionBase, actor: str = "",
                         force_refresh: bool = False) -> str:
    """A PSC access token valid for at least the refresh margin, refreshed when needed.

    PSC access tokens live 120 s: every mail connection asks here first. When the refresh
    grant fails the PSC session is over, and so is mail access.
    """
    token = session.get(SESSION_ACCESS_TOKEN)
    expires = float(session.get(SESSION_ACCESS_EXPIRES, 0))
    if token and not force_refresh and expires - time.time() > settings.PSC_TOKEN_REFRESH_MARGIN:
        return str(token)
    refresh = session.get(SESSION_REFRESH_TOKEN)
    if not refresh:
        raise SessionExpired("no refresh token in session")
    try:
        response = psc_token_post(data={
            "grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "client_secret": settings.OIDC_RP_CLIENT_SECRET})
    except requests.RequestException as exc:
        logger.error("PSC token endpoint unreachable: %s", exc.__class__.__name__)
        raise SessionExpired("PSC unreachable") from exc
    if response.status_code != 200:
        logger.warning("PSC refresh refused (HTTP %s)", response.status_code)
        audit_log(event="token_refresh_failed", actor=actor, status=response.status_code)
        for key in (SESSION_ACCESS_TOKEN, SESSION_REFRESH_TOKEN, SESSION_ACCESS_EXPIRES):
            session.pop(key, None)
        raise SessionExpired(f"refresh refused with HTTP {response.status_code}")
    info = response.json()
    session[SESSION_ACCESS_TOKEN] = info["access_token"]
    session[SESSION_REFRESH_TOKEN] = info.get("refresh_token", refresh)
    session[SESSION_ACCESS_EXPIRES] = time.time() + float(info.get("expires_in", 120))
    if info.get("id_token"):
        session[SESSION_ID_TOKEN] = info["id_token"]
    return str(info["access_token"])


def psc_logout_url(request: HttpRequest) -> str:
    """PSC end_session URL, called by mozilla-django-oidc's logout view before it logs out."""
    id_token = request.session.get(SESSION_ID_TOKEN)
    back = request.build_absolute_uri(reverse("accounts:logged_out"))
    if not id_token:
        return back
    audit_log(event="signout", actor=getattr(request.user, "idnat", "") or "")
    return settings.PSC_END_SESSION_ENDPOINT + "?" + urlencode({
        "id_token_hint": id_token, "post_logout_redirect_uri": back,
        "state": secrets.token_urlsafe(16)})


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
    session = SessionStore(session_key=session_key)
    if not session.exists(session_key):
        raise SessionExpired("session is gone")
    token = psc_access_token_get(session=session, actor=actor, force_refresh=force_refresh)
    session.save()
    return token
