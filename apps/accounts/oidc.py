"""Pro Santé Connect on top of mozilla-django-oidc.

The library checks the signature and the nonce of the ID token; PSC sign-in also needs
the issuer, the audience, the expiry and the authentication level (acr) checked, the
refresh token kept (the access token lives 120 s), users keyed by ``SubjectNameID``
(PSC sends no e-mail), and userinfo accepted as JSON or as a signed JWT. The library reads
its endpoints from settings once; here they come from the provider's discovery document
(``apps.accounts.provider``) at each use, and tokens go to the encrypted session store
(``apps.accounts.tokens``), never in clear into the session.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from apps.audit.services import audit_log
from apps.core.errors import ProviderUnavailable
from apps.core.middleware import FORM_TARGETS_SESSION_KEY

from .models import User
from .provider import provider_metadata, provider_metadata_forget
from .psc_claims import MalformedClaims, PSCIdentity, identity_from_claims
from .psc_http import provider_error, psc_token_post
from .selectors import user_get_active
from .services import user_identity_refresh
from .session_keys import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT, SESSION_SIGNIN_ERROR
from .tokens import PSCTokens, session_tokens_clear, session_tokens_set

logger = logging.getLogger(__name__)



class PSCAuthenticationBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: it reads fixed endpoints from settings, and Django
        # builds a backend for every request of a signed-in user (no discovery there).
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    def get_user(self, user_id: Any) -> Any:
        """The session's user, if still active (the library's does not check)."""
        try:
            return user_get_active(user_id=int(user_id))
        except (TypeError, ValueError):
            return None

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 - the library's attribute name
        return provider_metadata().token_endpoint

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return provider_metadata().userinfo_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return provider_metadata().jwks_uri

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = psc_token_post(data=payload)
        if response.status_code != 200:
            raise SuspiciousOperation(f"code exchange refused: {provider_error(response)}")
        info: dict[str, Any] = response.json()
        self._token_info = info
        return info

    def retrieve_matching_jwk(self, token: str) -> Any:
        try:
            return super().retrieve_matching_jwk(token)
        except SuspiciousOperation:
            provider_metadata_forget()  # keys rotated: read discovery and the JWKS again
            raise

    def get_payload_data(self, token: bytes | str, key: Any) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("unexpected JWT algorithm")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[self.OIDC_RP_SIGN_ALGO], audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.PSC_ISSUER, options={"require": ["iss", "aud"]},
                leeway=30)
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"PSC token rejected: {exc.__class__.__name__}") from exc
        return claims

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        """Any refusal (bad signature, nonce, audience, acr, PSC down) ends on the French
        sign-in error page, with the reason in the operator's log, never in a 400 or 500."""
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:
            logger.warning("PSC sign-in refused: %s", exc)
            audit_log(event="signin_refused", reason=str(exc))
            self._refused()
            return None
        except (requests.RequestException, ProviderUnavailable) as exc:
            logger.error("PSC sign-in failed, provider unreachable or erroring: %s",
                         exc.__class__.__name__)
            self._refused()
            self.request.session[SESSION_SIGNIN_ERROR] = "unavailable"
            return None
        if user is None:
            self._refused()
        return user

    def _refused(self) -> None:
        """A sign-in refused after the token exchange (an unreadable idNat, an inactive
        account…) keeps no token: they were stored before the refusal, and an anonymous
        session held them, live and encrypted, until it expired (issue 27)."""
        session = getattr(getattr(self, "request", None), "session", None)
        if session is not None:
            session_tokens_clear(session=session)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        claims: dict[str, Any] = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token, not a JWT userinfo
            if "exp" not in claims:
                raise SuspiciousOperation("ID token without exp")
            acr = claims.get("acr")
            if acr not in settings.PSC_ACR_ACCEPTED:
                raise SuspiciousOperation(f"acr {acr!r} not in the accepted set")
        return claims

    def store_tokens(self, access_token: str, id_token: str) -> None:
        info = getattr(self, "_token_info", {})
        session_tokens_set(session=self.request.session, tokens=PSCTokens(
            access_token=access_token, refresh_token=str(info.get("refresh_token", "")),
            id_token=id_token, access_expires_at=time.time() + float(info.get("expires_in", 120))))

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # PSC sends no e-mail: the national id is what identifies a professional. The
        # full check happens in identity_from_claims, which says why a claim set is bad.
        return bool(claims.get("SubjectNameID"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        return User.objects.filter(idnat=claims.get("SubjectNameID"))

    def _identity(self, claims: dict[str, Any]) -> PSCIdentity:
        try:
            return identity_from_claims(claims, lenient_idnat=settings.PSC_LENIENT_IDNAT)
        except MalformedClaims as exc:
            self.request.session[SESSION_SIGNIN_ERROR] = "claims"
            raise SuspiciousOperation(f"malformed PSC claims: {exc}") from exc

    def create_user(self, claims: dict[str, Any]) -> User:
        identity = self._identity(claims)
        return self._signed_in(user_identity_refresh(user=User(), identity=identity))

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        identity = self._identity(claims)
        return self._signed_in(user_identity_refresh(user=user, identity=identity))

    def _signed_in(self, user: User) -> User:
        now = time.time()
        self.request.session[SESSION_SIGNED_IN_AT] = now
        self.request.session[SESSION_LAST_SEEN] = now
        try:  # the sign-out form must be allowed to lead to the provider's end_session endpoint
            ends = [provider_metadata().end_session_endpoint]
        except ProviderUnavailable:
            ends = []
        self.request.session[FORM_TARGETS_SESSION_KEY] = [url for url in ends if url]
        audit_log(event="signin", actor=user.idnat or user.username)
        return user


class PSCAuthenticateView(OIDCAuthenticationRequestView):
    """The redirect to the provider, its authorization endpoint from discovery."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata().authorization_endpoint
        except ProviderUnavailable:
            request.session[SESSION_SIGNIN_ERROR] = "unavailable"
            return redirect("accounts:login_error")
        response: HttpResponse = super().get(request)
        return response


class PSCCallbackView(OIDCAuthenticationCallbackView):
    """Remembers why PSC sent the person back without a code, for the French error page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        error = request.GET.get("error")
        if error:
            reason = "cancelled" if error == "access_denied" else "denied"
            logger.info("PSC sign-in ended with %s", error)
            audit_log(event="signin_refused", reason=error)
            request.session[SESSION_SIGNIN_ERROR] = reason
        response: HttpResponse = super().get(request)
        return response
