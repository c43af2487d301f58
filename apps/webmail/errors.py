"""Mail errors as the professional sees them: the French error page, never a 500."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.errors import (
    ApplicationError,
    IndexUnavailable,
    MailAuthError,
    MailServerUnavailable,
    MessageGone,
    NotFound,
    ReadOnlyMailbox,
    SessionExpired,
)

View = Callable[..., HttpResponse]


def error_page(request: HttpRequest, error: ApplicationError, status: int) -> HttpResponse:
    return render(request, "webmail/error.html", {
        "error": error.user_message, "session_expired": isinstance(error, SessionExpired)},
        status=status)


def mail_errors(view: View) -> View:
    """Every mail error ends on the French error page with a fitting status, never a 500:
    401 when the PSC session is over, 503 when the operator fails, 404 for a message
    gone from the server or anything the URL names that is not the user's. The service that raised
    already logged the detail for the operator."""
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (MessageGone, NotFound):
            raise Http404("message gone or not found") from None
        except SessionExpired as exc:
            return error_page(request, exc, 401)
        except (MailServerUnavailable, MailAuthError, IndexUnavailable) as exc:
            return error_page(request, exc, 503)
        except ReadOnlyMailbox as exc:
            return error_page(request, exc, 403)
        except ApplicationError as exc:
            return error_page(request, exc, 200)
    return wrapper
