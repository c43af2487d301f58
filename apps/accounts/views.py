from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("webmail:inbox")
    return render(request, "accounts/login.html", {"next": request.GET.get("next", "")})


def login_error(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/login_error.html", status=401)


def logged_out(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/logged_out.html")
