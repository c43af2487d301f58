"""One id per request, in every audit event and on the response (``X-Request-ID``), so that
an operator can tie what the audit trail says to the proxy's and the site's logs.

A reverse proxy's ``X-Request-ID`` is kept when it is a plain token (letters, digits,
``-_.``, at most 64); anything else is replaced by a fresh one. Workers have none."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def current_request_id() -> str:
    return _current.get()


def _accepted(value: str) -> bool:
    return 0 < len(value) <= 64 and all(c in _ALLOWED for c in value)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _accepted(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
