"""Search: instant on the local index; the message bodies, on request, by the server."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.errors import ApplicationError
from apps.mail.imap import ImapError
from apps.mail.models import Folder
from apps.mail.selectors import folder_list, message_search
from apps.mail.services import mailbox_session

from .views import _mailbox, _token_provider

logger = logging.getLogger(__name__)
BODY_SEARCH_ROLES = ("inbox", "sent", "archive")


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def search(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    query = request.GET.get("q", "").strip()[:200]
    in_bodies = request.GET.get("corps") == "1"
    has_attachment = request.GET.get("pj") == "1"
    patient = request.GET.get("patient") == "1"
    date_from, date_to = _date(request.GET.get("du", "")), _date(request.GET.get("au", ""))
    filters = {"has_attachment": has_attachment, "patient": patient}
    body_error = None
    extra: dict[int, list[int]] = {}
    if query and in_bodies:
        folders = Folder.objects.filter(mailbox=mailbox, role__in=BODY_SEARCH_ROLES)
        try:
            with mailbox_session(mailbox=mailbox, token_provider=_token_provider(request),
                                 pool_key=f"user:{request.user.pk}") as session:
                for folder in folders:
                    extra[folder.pk] = session.search_text(folder.name, query)
        except (ApplicationError, ImapError) as exc:
            logger.warning("body search failed for %s: %s", mailbox.address, exc)
            body_error = True
    searched = bool(query or has_attachment or patient or date_from or date_to)
    results = message_search(mailbox=mailbox, query=query, extra_uids=extra,
                             has_attachment=has_attachment, patient=patient, date_from=date_from,
                             date_to=date_to) if searched else []
    return render(request, "webmail/search.html", {
        "mailbox": mailbox, "folders": folder_list(mailbox=mailbox), "folder": None,
        "q": query, "in_bodies": in_bodies, "filters": filters, "results": results,
        "searched": searched, "body_error": body_error,
        "du": request.GET.get("du", ""), "au": request.GET.get("au", "")})
