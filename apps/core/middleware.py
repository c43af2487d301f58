"""Headers every response carries: a strict Content-Security-Policy first of all."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")


def _origin(url: str) -> str:
    """``https://host[:port]`` of an http(s) URL; "" for anything else (a policy is built
    from it: nothing but a plain host may reach it)."""
    parts = urlsplit(url)
    host = parts.netloc.lower()
    if parts.scheme not in ("http", "https") or not host or not set(host) <= HOST_CHARACTERS:
        return ""
    return f"{parts.scheme}://{host}"


# Where a signed-in session's forms may lead beyond our origin, as its sign-in found them
# (the provider's endpoints from discovery, written by the accounts app at sign-in): a
# sign-out endpoint on another origin than the issuer's was blocked by ``form-action``.
FORM_TARGETS_SESSION_KEY = "csp_form_targets"


class SecurityHeadersMiddleware:
    """No inline script, no third-party origin: only our own static files run.

    ``form-action`` names the PSC origins because Chromium applies it to the redirect
    that follows the sign-out form.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The provider's sign-out page is on its issuer's origin unless set by hand.
        self.configured = {_origin(settings.PSC_ISSUER), _origin(settings.PSC_AUTHORIZATION_ENDPOINT),
                           _origin(settings.PSC_END_SESSION_ENDPOINT)} - {""}
        self._policies: dict[frozenset[str], str] = {}

    def csp(self, request: HttpRequest) -> str:
        origins = set(self.configured)
        session = getattr(request, "session", None)
        if session is not None:
            origins |= {_origin(url) for url in session.get(FORM_TARGETS_SESSION_KEY, [])[:4]
                        if isinstance(url, str)} - {""}
        key = frozenset(origins)
        if key not in self._policies:
            self._policies[key] = (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
                f"base-uri 'none'; frame-ancestors 'none'; form-action 'self' {' '.join(sorted(origins))}"
            ).strip()
        return self._policies[key]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp(request))
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Private pages must not come back from the browser cache after sign-out.
            response.headers["Cache-Control"] = "no-store"
        return response
