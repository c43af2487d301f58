"""The directory (annuaire santé): search page, contact card, compose suggestions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from apps.mail.selectors import correspondents_search, mailbox_list_for_user
from apps.patients.selectors import patient_search
from apps.trust.models import DirectoryEntry
from apps.trust.selectors import directory_search, recipients_check

from .selectors import recipient_names


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    profession = request.GET.get("profession", "")[:100]
    city = request.GET.get("ville", "")[:100]
    results = directory_search(query=query, profession=profession, city=city, limit=30) \
        if (query.strip() or profession.strip() or city.strip()) else []
    return render(request, "webmail/directory.html", {
        "q": query, "profession": profession, "ville": city, "results": results,
        "searched": bool(query.strip() or profession.strip() or city.strip())})


@login_required
def contact(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(DirectoryEntry, pk=pk)
    return render(request, "webmail/contact.html", {"entry": entry})


@login_required
def suggestions(request: HttpRequest) -> JsonResponse:
    """The compose "À" field's autocomplete: people with profession and city."""
    query = request.GET.get("q", "")[:200]
    if len(query.strip()) < 2:
        return JsonResponse({"results": []})
    mailboxes = list(mailbox_list_for_user(user=request.user))  # type: ignore[arg-type]
    mine = {m.address for m in mailboxes}
    results = [{
        "address": c.address, "name": c.name or c.address, "city": "", "postcode": "",
        "profession": (_("Patient · INS %(ins)s") % {"ins": c.patient_ins}) if c.patient_ins
        else _("Recent correspondent"), "structure": "",
    } for c in correspondents_search(mailboxes=mailboxes, query=query, limit=4)]
    seen = {r["address"] for r in results}
    # The user's own patients: the address built from the INS (Mon espace santé).
    domain = settings.MSSANTE_PATIENT_DOMAIN
    patients = [{
        "address": f"{p.matricule}@{domain}".lower(), "name": p.display_name,
        "profession": _("Patient · born %(born)s · INS %(ins)s") % {
            "born": p.birth_date.strftime("%d/%m/%Y"), "ins": p.matricule},
        "structure": "", "city": "", "postcode": "",
    } for p in patient_search(owner=request.user, query=query, limit=4)]
    results = results[:2] + [p for p in patients if p["address"] not in seen] + results[2:]
    seen = {r["address"] for r in results}
    results += [{
        "address": e.address, "name": e.display_name, "profession": e.profession_label,
        "structure": e.structure_name, "city": e.city, "postcode": e.postcode,
    } for e in directory_search(query=query, limit=8) if e.address not in mine and e.address not in seen]
    return JsonResponse({"results": results[:10]})


@login_required
def recipient_check(request: HttpRequest) -> JsonResponse:
    """One recipient's trust-space verdict, for the chip the compose field shows."""
    address = request.GET.get("a", "")[:320]
    verdict = recipients_check(addresses=[address])[0]
    name = recipient_names(user=request.user, addresses=[verdict.address]).get(  # type: ignore[arg-type]
        verdict.address, "")
    return JsonResponse({"address": verdict.address, "kind": verdict.kind.value, "name": name,
                         "message": verdict.message, "allowed": verdict.allowed})
