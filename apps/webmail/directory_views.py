"""The directory (annuaire santé): search page, contact card, compose suggestions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from apps.flows.directory import contact_get, directory_page_get, recipient_chip_get, suggestions_get

from .access import request_actor
from .errors import mail_errors


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    profession = request.GET.get("profession", "")[:100]
    city = request.GET.get("ville", "")[:100]
    return render(request, "webmail/directory.html", {
        "q": query, "profession": profession, "ville": city,
        "results": directory_page_get(query=query, profession=profession, city=city),
        "searched": bool(query.strip() or profession.strip() or city.strip())})


@login_required
@mail_errors
def contact(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "webmail/contact.html", {"entry": contact_get(pk=pk)})


@login_required
def suggestions(request: HttpRequest) -> JsonResponse:
    """The compose "À" field's autocomplete: people with profession and city."""
    results = suggestions_get(actor=request_actor(request), query=request.GET.get("q", "")[:200])
    return JsonResponse({"results": results})


@login_required
def recipient_check(request: HttpRequest) -> JsonResponse:
    """One recipient's trust-space verdict, for the chip the compose field shows."""
    chip = recipient_chip_get(actor=request_actor(request), address=request.GET.get("a", "")[:320])
    return JsonResponse(chip)
