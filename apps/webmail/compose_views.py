"""Writing a message: rich or plain text, trust-space checked recipients, attachments,
replies and forwards, drafts saved as one types; sent through the outbox."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, MessageGone, NoMailbox
from apps.documents.types import document_types
from apps.mail.models import Mailbox, OutboxMessage
from apps.mail.services import outbox_retry
from apps.trust.selectors import recipients_check
from mailproto.mime.replies import with_signature

from .access import request_access_for
from .forms import RECIPIENT_FIELDS, ComposeForm, compose_form_from_post, drafts_owned_add, uploaded_files
from .selectors import compose_mailboxes, outbox_list, recipient_names, signatures_for_user
from .services import (
    AttachmentsTooLarge,
    ComposeOutcome,
    compose_prefill,
    compose_submit,
    draft_autosave,
    forwarded_get,
)

logger = logging.getLogger(__name__)


def _start(request: HttpRequest, mailboxes: list[Mailbox], signatures: dict[int, str]) -> ComposeOutcome:
    """A new message (with "?a=" recipients), or a reply, forward or draft ("?origine=")."""
    form = ComposeForm(to=[a for a in request.GET.getlist("a") if a][:50], mailbox=mailboxes[0].pk)
    outcome = ComposeOutcome(form=form)
    if request.GET.get("origine"):
        try:
            outcome.form = compose_prefill(access_for=request_access_for(request),
                                           form=form, mailboxes=mailboxes, mode=request.GET.get("mode", ""),
                                           origin=request.GET["origine"])
            drafts_owned_add(request, mailbox=outcome.form.mailbox, uid=outcome.form.draft_uid)  # resumed
        except MessageGone:
            raise Http404("original message") from None
        except ApplicationError as exc:
            outcome.error = exc.user_message
    if request.GET.get("mode") != "draft":
        outcome.form.body = with_signature(outcome.form.body, signatures.get(outcome.form.mailbox, ""))
    return outcome


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    mailboxes = compose_mailboxes(user=request.user)  # type: ignore[arg-type]
    if not mailboxes:
        return render(request, "webmail/error.html", {"error": NoMailbox().user_message})
    signatures = signatures_for_user(user=request.user, mailboxes=mailboxes)  # type: ignore[arg-type]
    if request.method != "POST":
        return _page(request, _start(request, mailboxes, signatures), mailboxes, signatures)
    request.session.save()  # the worker reads the PSC tokens from the stored session
    outcome = compose_submit(access_for=request_access_for(request),
                             user=request.user, form=compose_form_from_post(request, mailboxes),  # type: ignore[arg-type]
                             mailboxes=mailboxes, uploads=uploaded_files(request),
                             session_key=request.session.session_key)
    if outcome.sent:
        messages.success(request, _("Message queued for sending."))
        return redirect("webmail:outbox")
    return _page(request, outcome, mailboxes, signatures)


def _page(request: HttpRequest, outcome: ComposeOutcome, mailboxes: list[Mailbox],
          signatures: dict[int, str]) -> HttpResponse:
    form = outcome.form
    try:
        forwarded = forwarded_get(access_for=request_access_for(request), form=form,
                                  mailboxes=mailboxes)[1]
    except ApplicationError as exc:
        forwarded, outcome.error = [], outcome.error or exc.user_message
    return render(request, "webmail/compose.html", {
        "mailboxes": mailboxes, "form": form, "error": outcome.error, "notice": outcome.notice,
        "recipient_fields": _recipient_fields(form, request.user), "signatures": signatures,
        "forwarded": forwarded, "max_size": settings.MSSANTE_MAX_MESSAGE_SIZE,
        "document_types": document_types(), "allow_test_ins": settings.MSSANTE_ALLOW_TEST_INS,
        "patient_notice": settings.MSSANTE_PATIENT_NOTICE or _(
            "I informed the patient that we exchange through MSSanté (first time only)")},
        status=outcome.status)


def _recipient_fields(form: ComposeForm, user: Any) -> list[dict[str, object]]:
    """À, Cc and Cci, each with its chips checked against the trust space and named (a
    patient of the user's list, a professional of the directory). Cc and Cci start folded
    away (the page's script) unless they hold someone."""
    labels = {"to": (_("To"), _("Recipients")), "cc": (_("Cc"), _("Copies")),
              "bcc": (_("Bcc"), _("Blind copies"))}
    fields = {name: form.recipients(name) for name in RECIPIENT_FIELDS}
    names = recipient_names(user=user, addresses=[a for chips in fields.values() for a in chips])
    return [{"name": name, "label": labels[name][0], "chips_label": labels[name][1],
             "chips": [(verdict, names.get(verdict.address.lower(), ""))
                       for verdict in (recipients_check(addresses=chips) if chips else [])],
             "optional": name != "to", "empty": not chips}
            for name, chips in fields.items()]


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    outgoing = outbox_list(user=request.user)  # type: ignore[arg-type]
    waiting = any(o.status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING)
                  for o in outgoing)
    return render(request, "webmail/outbox.html", {"outgoing": outgoing, "waiting": waiting})


@login_required
@require_POST
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    outgoing = OutboxMessage.objects.filter(user=request.user.pk, pk=pk).first()
    if outgoing is None:
        raise Http404("outbox")
    request.session.save()  # the worker reads the PSC tokens from the stored session
    outbox_retry(outgoing=outgoing, session_key=request.session.session_key)
    messages.info(request, _("Sending again."))
    return redirect("webmail:outbox")


@login_required
@require_POST
def draft_autosave_view(request: HttpRequest) -> JsonResponse:
    """Called every few seconds while writing, and when leaving the page: what is typed is
    never lost."""
    mailboxes = compose_mailboxes(user=request.user)  # type: ignore[arg-type]
    if not mailboxes:
        return JsonResponse({"error": NoMailbox().user_message}, status=400)
    form = compose_form_from_post(request, mailboxes)
    try:
        answer = draft_autosave(access_for=request_access_for(request),
                                user=request.user, form=form, mailboxes=mailboxes,  # type: ignore[arg-type]
                                uploads=uploaded_files(request))
    except AttachmentsTooLarge as exc:  # the text is saved without them at the next save
        return JsonResponse({"error": exc.user_message}, status=413)
    except ApplicationError as exc:
        logger.warning("draft not saved for mailbox %s: %s", form.mailbox, exc.detail)
        return JsonResponse({"error": exc.user_message}, status=503)
    drafts_owned_add(request, mailbox=form.mailbox, uid=answer.get("draft_uid"))  # type: ignore[arg-type]
    return JsonResponse(answer)
