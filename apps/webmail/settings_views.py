"""The professional's own pages: the profile (identity, professions, structures, mailboxes,
session), the settings (a signature per mailbox, senders whose images are shown) and a
mailbox's out-of-office reply. Each is one flow (``flows.account_pages``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from apps.flows.account_pages import profile_get, settings_run, vacation_run
from mailproto.identifiers import ascii_digits

from .access import request_actor
from .errors import mail_errors
from .forms import vacation_form_from_post
from .rendering import page_context

DAYS_CHOICES = [1, 2, 3, 7, 14, 30]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "webmail/profile.html", page_context(profile_get(actor=request_actor(request))))


def _signatures_posted(request: HttpRequest) -> dict[int, str] | None:
    """The signature fields ("signature-<mailbox id>") a POST holds, by mailbox id."""
    if request.method != "POST":
        return None
    return {int(name.removeprefix("signature-")): request.POST.get(name, "") for name in request.POST
            if name.startswith("signature-") and ascii_digits(name.removeprefix("signature-"))}


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    page = settings_run(actor=request_actor(request), forget=request.POST.get("forget") or None,
                        signatures=_signatures_posted(request))
    if page.saved:
        messages.success(request, page.saved)
        return redirect("webmail:settings")
    return render(request, "webmail/settings.html", page_context(page))


@login_required
@mail_errors
def vacation_page(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """The out-of-office reply of one mailbox, read from and written to the operator's
    server (ManageSieve). Server down or refusing: the French reason, nothing lost."""
    today = timezone.localdate()
    posted = vacation_form_from_post(request, today=today) if request.method == "POST" else None
    page = vacation_run(actor=request_actor(request), mailbox_id=mailbox_id, today=today, post=posted)
    if page.saved:
        messages.success(request, page.saved)
        return redirect("webmail:vacation", mailbox_id=mailbox_id)
    return render(request, "webmail/vacation.html", page_context(page, days_choices=DAYS_CHOICES),
                  status=page.status)
