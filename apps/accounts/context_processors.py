"""Template context: whether the person's PSC session still gives access to mail."""

from __future__ import annotations

from django.http import HttpRequest

from .tokens import session_psc_active


def psc(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"psc_active": session_psc_active(session=request.session)}
