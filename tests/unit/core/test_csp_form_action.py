"""Sign-out silently failed with a provider whose end_session endpoint is not on its
issuer's origin (issue 27, point 13): the site's CSP ``form-action`` named only the issuer and
endpoints set by variable, and Chromium blocked the redirect that follows the sign-out form.
A session now carries the endpoints its sign-in found, and its pages allow them."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from apps.core.middleware import FORM_TARGETS_SESSION_KEY, SecurityHeadersMiddleware


class _Session(dict):  # type: ignore[type-arg]
    pass


def _policy(session: dict[str, object] | None) -> str:
    request = RequestFactory().get("/")
    if session is not None:
        request.session = _Session(session)  # type: ignore[attr-defined]
    middleware = SecurityHeadersMiddleware(lambda _request: HttpResponse("ok"))
    return middleware(request)["Content-Security-Policy"]


def test_form_action_allows_the_end_session_endpoint_the_sign_in_found() -> None:
    plain = _policy({})
    assert "https://logout.other.example" not in plain
    signed_in = _policy({FORM_TARGETS_SESSION_KEY: ["https://logout.other.example/session/end?x=1"]})
    form_action = signed_in.split("form-action", 1)[1]
    assert "https://logout.other.example" in form_action and "/session/end" not in form_action
    hostile = _policy({FORM_TARGETS_SESSION_KEY: ["javascript:alert(1)", 42, "https://a.example; script-src *"]})
    assert "javascript" not in hostile and "script-src *" not in hostile
