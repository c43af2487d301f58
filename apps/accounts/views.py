from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from apps.mail.selectors import mailbox_list_for_user
from apps.structures.selectors import membership_list_for_user

from .selectors import exercise_list_for_user, session_info_get
from .session_keys import SESSION_SIGNIN_ERROR

LOGIN_NOTICES = {
    "inactivite": _("Your session was locked after a period of inactivity. Sign in again to carry on."),
    "expiree": _("Your session reached its maximum length. Sign in again to carry on."),
}


def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("webmail:inbox")
    notice = LOGIN_NOTICES.get(request.GET.get("raison", ""))
    return render(request, "accounts/login.html",
                  {"next": request.GET.get("next", ""), "notice": notice})


def login_error(request: HttpRequest) -> HttpResponse:
    reason = request.session.pop(SESSION_SIGNIN_ERROR, None)
    return render(request, "accounts/login_error.html", {"reason": reason}, status=401)


def logged_out(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/logged_out.html")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "accounts/profile.html", {
        "exercises": exercise_list_for_user(user=user),  # type: ignore[arg-type]
        "memberships": membership_list_for_user(user=user),  # type: ignore[arg-type]
        "mailboxes": mailbox_list_for_user(user=user),  # type: ignore[arg-type]
        "session_info": session_info_get(session=request.session),
    })
