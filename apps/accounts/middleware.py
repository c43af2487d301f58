"""MSSanté session rules: idle lock (default 2 h) and absolute lifetime (PSC's 4 h) for
every session; the webmail only for a Pro Santé Connect sign-in (a staff password
sign-in reaches the admin, nothing else)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.audit.services import audit_log

from .services import session_limit_reached
from .session_keys import SESSION_LAST_SEEN, SESSION_PASSWORD_SIGNED_IN_AT, SESSION_SIGNED_IN_AT

# Background requests (polling for new mail) must not count as the user being present;
# nor does the page's event stream, which cannot send a header (EventSource).
BACKGROUND_HEADER = "X-MSS-Background"
BACKGROUND_SUFFIXES = ("/evenements/",)
# Writing the session on every request costs a database write; a minute's precision is enough.
LAST_SEEN_RESOLUTION = 60
# What a staff password session may reach: the admin, and what signing in or out needs.
PASSWORD_SESSION_PATHS = ("/admin/", "/static/", "/connexion/", "/oidc/", "/deconnexion/", "/healthz",
                          "/readyz", "/favicon.ico", "/i18n/")


class PSCSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if request.user.is_authenticated and SESSION_SIGNED_IN_AT not in session:
            if SESSION_PASSWORD_SIGNED_IN_AT not in session:  # signed in before this rule
                session[SESSION_PASSWORD_SIGNED_IN_AT] = time.time()
            if not request.path.startswith(PASSWORD_SESSION_PATHS):
                return HttpResponseRedirect(f"{reverse('accounts:login')}?raison=psc")
        if request.user.is_authenticated:
            now = time.time()
            started = session.get(SESSION_SIGNED_IN_AT, session.get(SESSION_PASSWORD_SIGNED_IN_AT))
            last_seen = float(session.get(SESSION_LAST_SEEN, started))
            reason = session_limit_reached(session=session, now=now)
            if reason:
                actor = getattr(request.user, "idnat", "") or ""
                audit_log(event="idle_lock" if reason == "inactivite" else "session_expired",
                          actor=actor)
                password = SESSION_SIGNED_IN_AT not in session
                logout(request)
                params = {"raison": reason}
                if request.method == "GET" and not request.headers.get(BACKGROUND_HEADER):
                    params["next"] = request.get_full_path()
                login = reverse("admin:login") if password else reverse("accounts:login")
                return HttpResponseRedirect(f"{login}?{urlencode(params)}")
            background = (request.headers.get(BACKGROUND_HEADER) == "1"
                          or request.path.endswith(BACKGROUND_SUFFIXES))
            if not background and now - last_seen > LAST_SEEN_RESOLUTION:
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)
