"""The professional's patients (issue 14): their list, searched as they type; a CSV import
with a report line by line; "Écrire" builds the patient's Mon espace santé address from
the INS."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.mail.models import MessageSummary
from apps.mail.selectors import messages_exchanged_with
from apps.patients.selectors import patient_get, patient_list_view, patients_allowed
from apps.patients.services import patient_import_csv, patient_list_change

from .access import request_folder, request_mail_access, request_mailbox, request_user_mailboxes
from .errors import mail_errors
from .services.patient_rule import patient_message_decide

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
    report = None
    if request.method == "POST" and request.FILES.get("csv"):
        data = request.FILES["csv"].read(IMPORT_MAX_BYTES + 1)[:IMPORT_MAX_BYTES]  # type: ignore[union-attr]
        report = patient_import_csv(text=data.decode("utf-8-sig", "replace"), owner=request.user,
                                    real_only=not settings.MSSANTE_ALLOW_TEST_INS)
    elif request.method == "POST":
        return _patient_change(request)
    view = patient_list_view(owner=request.user, query=query, limit=SHOWN)
    return render(request, "webmail/patients.html", {
        "query": query, "patients": view.patients, "report": report,
        "refusals": [(line.line, REFUSALS.get(line.reason, line.reason)) for line in (report.refused[:SHOWN]
                                                                                      if report else [])],
        "more_refused": len(report.refused) - SHOWN if report and len(report.refused) > SHOWN else 0,
        "domain": settings.MSSANTE_PATIENT_DOMAIN})


def _patient_change(request: HttpRequest) -> HttpResponse:
    """A patient's buttons (allow or stop writing, record or lift an opposition), on the list
    or the patient's page: done, then the same page again."""
    patient_list_change(owner=request.user, patient_id=request.POST.get("patient", ""),
                        allowed=request.POST.get("allowed"), opposed=request.POST.get("opposed"),
                        client_ip=request.META.get("REMOTE_ADDR", ""))
    return redirect(request.get_full_path())


@login_required
def patient_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient: who they are, their address, whether they may write, and every message
    exchanged with them in the user's mailboxes."""
    if request.method == "POST":
        return _patient_change(request)
    patient = patient_get(owner=request.user, patient_id=patient_id)
    if patient is None:
        raise Http404("patient")
    address = f"{patient.matricule}@{settings.MSSANTE_PATIENT_DOMAIN}".lower()
    mailboxes = request_user_mailboxes(request)
    patient.may_write = patient.matricule in patients_allowed(  # type: ignore[attr-defined]
        owner=request.user, patients=[patient])
    return render(request, "webmail/patient.html", {
        "patient": patient, "address": address, "domain": settings.MSSANTE_PATIENT_DOMAIN,
        "exchanges": messages_exchanged_with(mailboxes=mailboxes, address=address),
        "several_mailboxes": len(mailboxes) > 1})


@login_required
@require_POST
@mail_errors
def patient_decision(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    """"Autoriser ce patient" or "Refuser", on a message waiting in "Patients – à valider"."""
    mailbox = request_mailbox(request, mailbox_id, write=True)
    folder = request_folder(mailbox, folder_id)
    summary = MessageSummary.objects.filter(folder=folder, uid=uid).exclude(patient_ins="").first()
    if summary is None:
        raise Http404("message from a patient")
    allow = request.POST.get("action") == "allow"
    patient_message_decide(access=request_mail_access(request, mailbox), user=request.user, folder=folder,
                           summary=summary, allow=allow, client_ip=request.META.get("REMOTE_ADDR", ""))
    messages.success(request, _("The patient may write to you from now on: the message is in your inbox.")
                     if allow else _("The message went to the Trash; the patient is still not allowed."))
    return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)
