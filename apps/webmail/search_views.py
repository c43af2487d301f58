"""Search: instant on the local index (headers, and bodies once indexed), as one types;
the operator's server on request, for what the body index does not hold yet."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.mail.selectors import folder_list, message_search
from apps.mail.services import message_body_search

from .access import request_mail_access, request_mailbox


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def search(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = request_mailbox(request, mailbox_id)
    query = request.GET.get("q", "").strip()[:200]
    in_bodies = request.GET.get("corps") == "1"
    has_attachment = request.GET.get("pj") == "1"
    patient = request.GET.get("patient") == "1"
    date_from, date_to = _date(request.GET.get("du", "")), _date(request.GET.get("au", ""))
    filters = {"has_attachment": has_attachment, "patient": patient}
    extra = message_body_search(access=request_mail_access(request, mailbox), query=query) \
        if query and in_bodies else {}
    searched = bool(len(query) >= 2 or has_attachment or patient or date_from or date_to)
    folders = folder_list(mailbox=mailbox)
    results = message_search(mailbox=mailbox, query=query, extra_uids=extra or {},
                             has_attachment=has_attachment, patient=patient, date_from=date_from,
                             date_to=date_to, bodies=settings.MSSANTE_BODY_INDEX,
                             folders=folders) if searched else []
    return render(request, "webmail/search.html", {
        "mailbox": mailbox, "folders": folders, "folder": None,
        "q": query, "in_bodies": in_bodies, "filters": filters, "results": results,
        "searched": searched, "body_error": extra is None, "body_index": settings.MSSANTE_BODY_INDEX,
        "du": request.GET.get("du", ""), "au": request.GET.get("au", "")})
