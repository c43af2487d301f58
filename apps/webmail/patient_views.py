"""The professional's patients (issue 14): their list, searched as they type; a CSV import
with a report line by line; "Écrire" builds the patient's Mon espace santé address from
the INS."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from apps.patients.models import Patient
from apps.patients.selectors import patient_search
from apps.patients.services import patient_import_csv

REFUSALS = {
    "columns": _("the file lacks the required columns (INS, Nom naissance, Prénoms, Date naissance, Sexe)"),
    "ins_length": _("the INS does not have 15 characters"),
    "ins_characters": _("the INS holds characters other than digits (and 2A/2B)"),
    "ins_key": _("the INS key does not match"),
    "ins_oid": _("unknown INS type (NIR, NIA, TEST or DEMO)"),
    "ins_not_real": _("test or demonstration INS refused here"),
    "date": _("the date of birth is not a valid date"),
    "sex": _("the sex is not F, M or U"),
    "name": _("the birth name or first names are missing"),
    "duplicate": _("this patient is already in the list"),
    "too_many": _("the file has too many lines"),
}
IMPORT_MAX_BYTES = 20 * 1024 * 1024
SHOWN = 100


@login_required
def patients_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    report, refusals = None, []
    upload = request.FILES.get("csv") if request.method == "POST" else None
    if upload is not None:
        data = upload.read(IMPORT_MAX_BYTES + 1)[:IMPORT_MAX_BYTES]  # type: ignore[union-attr]
        report = patient_import_csv(text=data.decode("utf-8-sig", "replace"), owner=request.user,
                                    real_only=not settings.MSSANTE_ALLOW_TEST_INS)
        refusals = [(line.line, REFUSALS.get(line.reason, line.reason)) for line in report.refused[:SHOWN]]
    patients = (patient_search(owner=request.user, query=query, limit=SHOWN) if query.strip()
                else list(Patient.objects.filter(owner_id=request.user.pk).order_by("-created_at")[:SHOWN]))
    return render(request, "webmail/patients.html", {
        "query": query, "patients": patients, "report": report, "refusals": refusals,
        "more_refused": len(report.refused) - SHOWN if report and len(report.refused) > SHOWN else 0,
        "domain": settings.MSSANTE_PATIENT_DOMAIN})
