"""Writing a message: rich or plain text, trust-space checked recipients, attachments,
replies and forwards, drafts saved as one types; sent through the outbox. Each page is one
flow (``flows.compose_page``); the form is read here (``forms``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.flows.compose_page import (
    ComposeStart,
    Submitted,
    compose_page_run,
    draft_autosave_run,
    outbox_page_get,
    outbox_retry_run,
)

from .access import request_actor
from .errors import mail_errors
from .forms import compose_form_from_post, drafts_owned_add, uploaded_files
from .rendering import page_context


def _start(request: HttpRequest) -> ComposeStart | None:
    """A new message (with "?a=" recipients), or a reply, forward or draft ("?origine=");
    nothing for a form that came back."""
    if request.method == "POST":
        return None
    get = request.GET
    return ComposeStart(to=[a for a in get.getlist("a") if a], origin=get.get("origine", ""),
                        mode=get.get("mode", ""), ins=get.get("ins", "")[:20],
                        document=get.get("document", "")[:12])


def _submitted(request: HttpRequest) -> Submitted | None:
    """How the flow reads the posted form, given the mailboxes the user may write from."""
    if request.method != "POST":
        return None
    return lambda mailboxes: compose_form_from_post(request, mailboxes)


@login_required
@mail_errors
def compose(request: HttpRequest) -> HttpResponse:
    page = compose_page_run(actor=request_actor(request), start=_start(request),
                            submitted=_submitted(request),
                            uploads=uploaded_files(request) if request.method == "POST" else None)
    if page.sent:
        messages.success(request, _("Message queued for sending."))
        return redirect("webmail:outbox")
    if page.resumed:  # a draft opened: this session may replace or remove it
        drafts_owned_add(request, mailbox=page.form.mailbox, uid=page.form.draft_uid)
    notice = settings.MSSANTE_PATIENT_NOTICE or _(
        "I informed the patient that we exchange through MSSanté (first time only)")
    return render(request, "webmail/compose.html", page_context(
        page, max_size=settings.MSSANTE_MAX_MESSAGE_SIZE, allow_test_ins=settings.MSSANTE_ALLOW_TEST_INS,
        patient_notice=notice), status=page.status)


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    page = outbox_page_get(actor=request_actor(request))
    return render(request, "webmail/outbox.html", page_context(page, waiting=page.waiting))


@login_required
@require_POST
@mail_errors
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    outbox_retry_run(actor=request_actor(request), pk=pk)
    messages.info(request, _("Sending again."))
    return redirect("webmail:outbox")


@login_required
@require_POST
def draft_autosave_view(request: HttpRequest) -> JsonResponse:
    """Called every few seconds while writing, and when leaving the page: what is typed is
    never lost."""
    saved = draft_autosave_run(actor=request_actor(request), submitted=_submitted(request),  # type: ignore[arg-type]
                               uploads=uploaded_files(request))
    if saved.form is not None and saved.status == 200:
        drafts_owned_add(request, mailbox=saved.form.mailbox, uid=saved.answer.get("draft_uid"))  # type: ignore[arg-type]
    return JsonResponse(saved.answer, status=saved.status)
