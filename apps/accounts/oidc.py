"""Pro Santé Connect on top of mozilla-django-oidc.

The library checks the signature and the nonce of the ID token; PSC sign-in also needs
the issuer, the audience, the expiry and the authentication level (acr) checked, the
refresh token kept (the access token lives 120 s), users keyed by ``SubjectNameID``
(PSC sends no e-mail), and userinfo accepted as JSON or as a signed JWT.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from apps.audit.services import audit_log

from .models import User
from .psc_claims import MalformedClaims, PSCIdentity, identity_from_claims
from .psc_http import psc_token_post
from .services import user_identity_refresh
from .session_keys import (
    SESSION_ACCESS_EXPIRES,
    SESSION_LAST_SEEN,
    SESSION_REFRESH_TOKEN,
    SESSION_SIGNED_IN_AT,
    SESSION_SIGNIN_ERROR,
)

logger = logging.getLogger(__name__)



class PSCAuthenticationBackend(OIDCAuthenticationBackend):
    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = psc_token_post(data=payload)
        self.raise_token_response_error(response)
        info: dict[str, Any] = response.json()
        self._token_info = info
        return info

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
            return None
        except requests.RequestException as exc:
            logger.error("PSC sign-in failed, provider unreachable or erroring: %s",
                         exc.__class__.__name__)
            return None
        return user

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
        super().store_tokens(access_token, id_token)
        info = getattr(self, "_token_info", {})
        session = self.request.session
        session[SESSION_REFRESH_TOKEN] = info.get("refresh_token", "")
        session[SESSION_ACCESS_EXPIRES] = time.time() + float(info.get("expires_in", 120))

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
        audit_log(event="signin", actor=user.idnat or user.username)
        return user


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
