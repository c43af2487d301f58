"""Search: instant on the local index (headers, and bodies once indexed), as one types;
the operator's server on request, for what the body index does not hold yet."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.flows.listing import search_page_get

from .access import request_actor
from .errors import mail_errors
from .rendering import page_context


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@mail_errors
def search(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    get = request.GET
    query, in_bodies = get.get("q", "").strip()[:200], get.get("corps") == "1"
    filters = {"has_attachment": get.get("pj") == "1", "patient": get.get("patient") == "1"}
    page = search_page_get(actor=request_actor(request), mailbox_id=mailbox_id, query=query,
                           in_bodies=in_bodies, date_from=_date(get.get("du", "")),
                           date_to=_date(get.get("au", "")), **filters)
    return render(request, "webmail/search.html", page_context(
        page, q=query, in_bodies=in_bodies, filters=filters, du=get.get("du", ""), au=get.get("au", "")))
