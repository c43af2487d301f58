"""Search: as one types, headers and addresses from the local index at once, then the same
search with the texts (the body index) in a second request that replaces the results; the
operator's server on request, for what the body index does not hold yet."""

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
                           date_to=_date(get.get("au", "")), as_you_type=get.get("vite") == "1", **filters)
    whole = get.copy()
    whole.pop("vite", None)
    full_url = f"{request.path}?{whole.urlencode()}"  # the same search, texts included
    response = render(request, "webmail/search.html", page_context(
        page, q=query, in_bodies=in_bodies, filters=filters, du=get.get("du", ""), au=get.get("au", ""),
        full_url=full_url))
    response["HX-Replace-Url"] = full_url  # the address bar keeps the whole search
    return response
