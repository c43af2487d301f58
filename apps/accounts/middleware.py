"""MSSanté session rules: idle lock (default 2 h) and absolute lifetime (PSC's 4 h)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.audit.services import audit_log

from .services import session_limit_reached
from .session_keys import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT

# Background requests (polling for new mail) must not count as the user being present.
BACKGROUND_HEADER = "X-MSS-Background"
# Writing the session on every request costs a database write; a minute's precision is enough.
LAST_SEEN_RESOLUTION = 60


class PSCSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if request.user.is_authenticated and SESSION_SIGNED_IN_AT in session:
            now = time.time()
            last_seen = float(session.get(SESSION_LAST_SEEN, session[SESSION_SIGNED_IN_AT]))
            reason = session_limit_reached(session=session, now=now)
            if reason:
                actor = getattr(request.user, "idnat", "") or ""
                audit_log(event="idle_lock" if reason == "inactivite" else "session_expired",
                          actor=actor)
                logout(request)
                params = {"raison": reason}
                if request.method == "GET" and not request.headers.get(BACKGROUND_HEADER):
                    params["next"] = request.get_full_path()
                return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode(params)}")
            background = request.headers.get(BACKGROUND_HEADER) == "1"
            if not background and now - last_seen > LAST_SEEN_RESOLUTION:
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)
