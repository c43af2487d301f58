"""The professional's pages. Thin: parse, call one selector or service, render."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.services import psc_access_token_get
from apps.core.errors import ApplicationError, SessionExpired
from apps.mail.selectors import mailbox_inbox_summaries, mailbox_primary_for_user

logger = logging.getLogger(__name__)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"messages_list": [], "error": None, "mailbox": None}
    status = 200
    try:
        mailbox = mailbox_primary_for_user(user=request.user)  # type: ignore[arg-type]
        context["mailbox"] = mailbox
        token = None
        if mailbox.auth_mode == mailbox.AuthMode.PSC_XOAUTH2:
            token = psc_access_token_get(session=request.session,
                                         actor=getattr(request.user, "idnat", "") or "")
        context["messages_list"] = mailbox_inbox_summaries(mailbox=mailbox, access_token=token)
    except SessionExpired as exc:
        context["error"] = exc.user_message
        context["session_expired"] = True
        status = 401
    except ApplicationError as exc:
        context["error"] = exc.user_message
        status = 503 if exc.__class__.__name__ == "MailServerUnavailable" else 200
    return render(request, "webmail/inbox.html", context, status=status)
