"""The professional's own pages: the profile (identity, professions, structures, mailboxes,
session) and the settings (a signature per mailbox, senders whose images are shown)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.selectors import exercise_list_for_user, session_info_get
from apps.core.errors import ApplicationError
from apps.mail.models import Mailbox
from apps.mail.selectors import mailbox_list_for_user
from apps.mail.services import vacation_available, vacation_get, vacation_set
from apps.structures.selectors import membership_list_for_user
from apps.trust.selectors import directory_extracted_at

from .access import request_mail_access, request_mailbox
from .errors import mail_errors
from .forms import vacation_form_from_post
from .selectors import directory_mailboxes_for_user, image_senders_list, signatures_for_user
from .services import image_sender_remove, signature_set


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "webmail/profile.html", {
        "exercises": exercise_list_for_user(user=user),  # type: ignore[arg-type]
        "memberships": membership_list_for_user(user=user),  # type: ignore[arg-type]
        "mailboxes": mailbox_list_for_user(user=user),  # type: ignore[arg-type]
        "from_directory": directory_mailboxes_for_user(user=user),  # type: ignore[arg-type]
        "directory_extracted_at": directory_extracted_at(),
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


@login_required
@mail_errors
def vacation_page(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """The out-of-office reply of one mailbox, read from and written to the operator's
    server (ManageSieve). Server down or refusing: the French reason, nothing lost."""
    mailbox = request_mailbox(request, mailbox_id, write=True)
    today = timezone.localdate()
    context: dict[str, object] = {"mailbox": mailbox, "available": vacation_available(mailbox=mailbox),
                                  "errors": [], "days_choices": [1, 2, 3, 7, 14, 30]}
    if not context["available"]:
        return render(request, "webmail/vacation.html", context)
    access = request_mail_access(request, mailbox)
    if request.method == "POST":
        form = vacation_form_from_post(request, today=today) if request.POST.get("action") == "on" else None
        if form is not None and form.errors:
            context.update(errors=form.errors, values=form.values, enabled=True)
            return render(request, "webmail/vacation.html", context, status=400)
        try:
            vacation_set(access=access, vacation=form.vacation if form else None)
        except ApplicationError as exc:
            context.update(errors=[exc.user_message], values=form.values if form else {}, enabled=bool(form))
            return render(request, "webmail/vacation.html", context, status=503)
        messages.success(request, _("Out-of-office reply turned on.") if form else
                         _("Out-of-office reply turned off."))
        return redirect("webmail:vacation", mailbox_id=mailbox.pk)
    try:
        current = vacation_get(access=access)
    except ApplicationError as exc:
        context.update(errors=[exc.user_message], unreachable=True)
        current = None
    values = ({"start": current.start.isoformat() if current.start else "",
               "end": current.end.isoformat() if current.end else "", "subject": current.subject,
               "text": current.text, "days": str(current.days)} if current else
              {"start": today.isoformat(), "end": "", "subject": _("Out of office"),
               "text": _("Hello,\n\nI am away and will read your message when I am back.\n"
                         "For anything urgent, please contact my practice or my replacement.\n"),
               "days": "7"})
    context.update(values=values, enabled=current is not None,
                   running=current is not None and current.active_on(today))
    return render(request, "webmail/vacation.html", context)
