"""The professional's patients (issue 14): their list, searched as they type; a CSV import
with a report line by line; "Écrire" builds the patient's Mon espace santé address from
the INS."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.flows.patient_pages import (
    IMPORT_MAX_BYTES,
    patient_change,
    patient_message_decision,
    patient_page_get,
    patients_page_run,
)

from .access import request_actor
from .errors import mail_errors
from .rendering import page_context

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
SHOWN = 100


def _patient_change(request: HttpRequest) -> HttpResponse:
    """A patient's buttons (allow or stop writing, record or lift an opposition), on the list
    or the patient's page: done, then the same page again."""
    patient_change(actor=request_actor(request), patient_id=request.POST.get("patient", ""),
                   allowed=request.POST.get("allowed"), opposed=request.POST.get("opposed"))
    return redirect(request.get_full_path())


@login_required
def patients_page(request: HttpRequest) -> HttpResponse:
    sent = request.FILES.get("csv") if request.method == "POST" else None
    if request.method == "POST" and sent is None:
        return _patient_change(request)
    page = patients_page_run(actor=request_actor(request), query=request.GET.get("q", "")[:100], limit=SHOWN,
                             csv=sent.read(IMPORT_MAX_BYTES + 1) if sent is not None else None)
    refused = page.report.refused if page.report else []
    return render(request, "webmail/patients.html", page_context(
        page, refusals=[(line.line, REFUSALS.get(line.reason, line.reason)) for line in refused[:SHOWN]],
        more_refused=max(0, len(refused) - SHOWN), domain=settings.MSSANTE_PATIENT_DOMAIN))


@login_required
@mail_errors
def patient_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient: who they are, their address, whether they may write, and every message
    exchanged with them in the user's mailboxes."""
    if request.method == "POST":
        return _patient_change(request)
    page = patient_page_get(actor=request_actor(request), patient_id=patient_id)
    return render(request, "webmail/patient.html", page_context(page, domain=settings.MSSANTE_PATIENT_DOMAIN))


@login_required
@require_POST
@mail_errors
def patient_decision(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    """"Autoriser ce patient" or "Refuser", on a message waiting in "Patients – à valider"."""
    allow = request.POST.get("action") == "allow"
    patient_message_decision(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                             uid=uid, allow=allow)
    messages.success(request, _("The patient may write to you from now on: the message is in your inbox.")
                     if allow else _("The message went to the Trash; the patient is still not allowed."))
    return redirect("webmail:folder", mailbox_id=mailbox_id, folder_id=folder_id)
