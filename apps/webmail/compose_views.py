"""Writing a message. A first version: plain text, trust-space checked recipients,
sent at once (the outbox with retries comes with the webmail issue)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, NoMailbox, SessionExpired
from apps.mail.models import Mailbox
from apps.mail.selectors import mailbox_list_for_user
from apps.trust.selectors import recipients_check

from .services import RecipientsRefused, message_compose_send
from .views import _token_provider

logger = logging.getLogger(__name__)


@dataclass
class ComposeForm:
    to: list[str]
    mailbox: int
    subject: str = ""
    body: str = ""


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    mailboxes = list(mailbox_list_for_user(user=request.user).exclude(  # type: ignore[arg-type]
        kind=Mailbox.Kind.APPLICATION))
    if not mailboxes:
        return render(request, "webmail/error.html", {"error": NoMailbox().user_message})
    form = ComposeForm(to=[a for a in request.GET.getlist("a") if a][:50], mailbox=mailboxes[0].pk)
    status = 200
    error = None
    if request.method == "POST":
        try:
            chosen = int(request.POST.get("mailbox") or mailboxes[0].pk)
        except ValueError:
            chosen = mailboxes[0].pk
        form = ComposeForm(to=[a.strip() for a in request.POST.getlist("to") if a.strip()][:100],
                           subject=request.POST.get("subject", "")[:500],
                           body=request.POST.get("body", "")[:200_000], mailbox=chosen)
        mailbox = next((m for m in mailboxes if m.pk == form.mailbox), mailboxes[0])
        try:
            message_compose_send(user=request.user, mailbox=mailbox, to=form.to,  # type: ignore[arg-type]
                                 subject=form.subject, body=form.body,
                                 token_provider=_token_provider(request))
        except RecipientsRefused as exc:
            error = exc.user_message or _("Add at least one recipient.")
            status = 400
        except SessionExpired as exc:
            error, status = exc.user_message, 401
        except ApplicationError as exc:
            error, status = exc.user_message, 503
        else:
            messages.success(request, _("Message sent."))
            return redirect("webmail:inbox")
    chips = recipients_check(addresses=form.to) if form.to else []
    return render(request, "webmail/compose.html", {
        "mailboxes": mailboxes, "form": form, "chips": chips, "error": error}, status=status)
