from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from .session_keys import SESSION_SIGNED_IN_AT, SESSION_SIGNIN_ERROR

LOGIN_NOTICES = {
    "inactivite": _("Your session was locked after a period of inactivity. Sign in again to carry on."),
    "expiree": _("Your session reached its maximum length. Sign in again to carry on."),
    "psc": _("The mailbox is reached with Pro Santé Connect only: a password sign-in opens the "
             "administration, nothing else."),
}


def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and SESSION_SIGNED_IN_AT in request.session:
        return redirect("webmail:inbox")
    notice = LOGIN_NOTICES.get(request.GET.get("raison", ""))
    return render(request, "accounts/login.html",
                  {"next": request.GET.get("next", ""), "notice": notice})


def login_error(request: HttpRequest) -> HttpResponse:
    reason = request.session.pop(SESSION_SIGNIN_ERROR, None)
    return render(request, "accounts/login_error.html", {"reason": reason}, status=401)


def logged_out(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/logged_out.html")

