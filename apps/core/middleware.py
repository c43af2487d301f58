"""Headers every response carries: a strict Content-Security-Policy first of all."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class SecurityHeadersMiddleware:
    """No inline script, no third-party origin: only our own static files run.

    ``form-action`` names the PSC origins because Chromium applies it to the redirect
    that follows the sign-out form.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The provider's sign-out page is on its issuer's origin unless set by hand.
        psc = " ".join(sorted({_origin(settings.PSC_ISSUER),
                               _origin(settings.PSC_AUTHORIZATION_ENDPOINT),
                               _origin(settings.PSC_END_SESSION_ENDPOINT)} - {""}))
        self.csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
            f"base-uri 'none'; frame-ancestors 'none'; form-action 'self' {psc}"
        ).strip()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Private pages must not come back from the browser cache after sign-out.
            response.headers["Cache-Control"] = "no-store"
        return response
