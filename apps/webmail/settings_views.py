"""The professional's own pages: the profile (identity, professions, structures, mailboxes,
session) and the settings (a signature per mailbox, senders whose images are shown)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.accounts.selectors import exercise_list_for_user, session_info_get
from apps.mail.models import Mailbox
from apps.mail.selectors import mailbox_list_for_user
from apps.structures.selectors import membership_list_for_user

from .selectors import image_senders_list, signatures_for_user
from .services import image_sender_remove, signature_set


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "webmail/profile.html", {
        "exercises": exercise_list_for_user(user=user),  # type: ignore[arg-type]
        "memberships": membership_list_for_user(user=user),  # type: ignore[arg-type]
        "mailboxes": mailbox_list_for_user(user=user),  # type: ignore[arg-type]
        "session_info": session_info_get(session=request.session),
    })


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    mailboxes = list(mailbox_list_for_user(user=user).exclude(  # type: ignore[arg-type]
        kind=Mailbox.Kind.APPLICATION))
    if request.method == "POST":
        if request.POST.get("forget"):
            image_sender_remove(user=user, address=request.POST["forget"])  # type: ignore[arg-type]
            messages.success(request, _("Images from %(sender)s will be blocked again.") % {
                "sender": request.POST["forget"]})
        else:
            for mailbox in mailboxes:
                field = f"signature-{mailbox.pk}"
                if field in request.POST:
                    signature_set(user=user, mailbox=mailbox, text=request.POST[field])  # type: ignore[arg-type]
            messages.success(request, _("Settings saved."))
        return redirect("webmail:settings")
    signatures = signatures_for_user(user=user, mailboxes=mailboxes)  # type: ignore[arg-type]
    return render(request, "webmail/settings.html", {
        "rows": [(m, signatures[m.pk]) for m in mailboxes],
        "image_senders": image_senders_list(user=user)})  # type: ignore[arg-type]
