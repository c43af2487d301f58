"""Reading a message: headers, body (sanitised HTML in a sandboxed frame, or text),
attachments. Bodies are fetched from IMAP on demand and cached briefly in Redis only
(``flows.reading``); what each page shows comes from one flow (``flows.reader``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, MessageGone, NotFound
from apps.flows.reader import (
    attached_frame_get,
    attached_message_page_get,
    hand_over_again_run,
    image_sender_trust,
    message_frame_get,
    message_page_get,
    message_part_open,
    message_source_get,
    receipt_answer,
)
from apps.flows.sending import RecipientsRefused

from .access import request_actor
from .errors import mail_errors
from .rendering import RAW_HEADERS, file_response, page_context

# Shown in the page (thumbnails) or the browser's own viewer (PDF), never as a document of
# this site: nosniff, the declared type only (no SVG), and a sandbox CSP on the response.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_TYPES = IMAGE_TYPES | {"application/pdf"}
BODY_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:{extra}; "
    "font-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
    "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"
)


def _urls(mailbox_id: int, folder_id: int, uid: int) -> dict[str, str]:
    base = reverse("webmail:message", args=[mailbox_id, folder_id, uid])
    return {"body": base + "contenu/", "part": base + "piece/", "cid": base + "piece/cid/__CID__/"}


@login_required
@mail_errors
def message(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    urls = _urls(mailbox_id, folder_id, uid)
    page = message_page_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id, uid=uid,
                            images_asked=request.GET.get("images") == "1", cid_url=urls["cid"])
    return render(request, "webmail/message.html", page_context(
        page, part_url=urls["part"], body_url=urls["body"] + ("?images=1" if page.images else "")))


@login_required
@require_POST
@mail_errors
def image_sender_trust_view(request: HttpRequest, mailbox_id: int, folder_id: int,
                            uid: int) -> HttpResponse:
    """"Toujours pour cet expéditeur": this sender's remote images are shown from now on."""
    sender = image_sender_trust(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                                uid=uid)
    messages.success(request, _("Images from %(sender)s will always be shown.") % {"sender": sender})
    return redirect("webmail:message", mailbox_id=mailbox_id, folder_id=folder_id, uid=uid)


@login_required
@require_POST
@mail_errors
def receipt_respond_view(request: HttpRequest, mailbox_id: int, folder_id: int,
                         uid: int) -> HttpResponse:
    """The user's answer to a read-receipt request: send it, or decline."""
    send = request.POST.get("action") == "send"
    try:
        receipt_answer(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id, uid=uid,
                       send=send, integration=request.POST.get("integration", "")[:8])
    except RecipientsRefused as exc:
        messages.error(request, _("No receipt was sent: %(reason)s") % {"reason": exc.user_message})
    else:
        messages.success(request, _("Read receipt sent.") if send else _("Read receipt declined."))
    return redirect("webmail:message", mailbox_id=mailbox_id, folder_id=folder_id, uid=uid)


@login_required
@require_POST
@mail_errors
def hand_over_again_view(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    """"Renvoyer au logiciel" on a received message whose documents the software refused."""
    count = hand_over_again_run(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                                uid=uid)
    messages.success(request, ngettext("%(n)d document handed to the software again.",
                                       "%(n)d documents handed to the software again.", count) % {"n": count})
    return redirect("webmail:message", mailbox_id=mailbox_id, folder_id=folder_id, uid=uid)


def _body_document(body: str, images: bool) -> HttpResponse:
    """The message frame's document: sanitised body, no script, its own strict CSP."""
    document = ("<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">"
                "<style>body{font-family:system-ui,sans-serif;margin:12px;color:#161b26;"
                "overflow-wrap:anywhere}pre.plain{white-space:pre-wrap;font-family:inherit}"
                "img{max-width:100%;height:auto}</style></head><body>" + body + "</body></html>")
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = BODY_CSP.format(extra=" https:" if images else "")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _frame_error(exc: ApplicationError) -> HttpResponse:
    """Inside the frame, a failure is a line of text (the page around it says the rest)."""
    if isinstance(exc, (MessageGone, NotFound)):
        raise Http404("message gone or not found") from exc
    return HttpResponse(f"<p>{exc.user_message}</p>", status=503)


@login_required
@xframe_options_sameorigin
def message_body(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    images = request.GET.get("images") == "1"
    try:
        body = message_frame_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                                 uid=uid, images=images, cid_url=_urls(mailbox_id, folder_id, uid)["cid"])
    except ApplicationError as exc:
        return _frame_error(exc)
    return _body_document(body, images)


@login_required
@mail_errors
def attached_message(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                     part_id: str) -> HttpResponse:
    """A forwarded message read in place: headers, body in the same sandboxed frame, and
    its own attachments named (download the .eml to open them)."""
    page = attached_message_page_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                                     uid=uid, part_id=part_id)
    return render(request, "webmail/attached_message.html", page_context(
        page, uid=uid, part_id=part_id,
        body_url=reverse("webmail:attached_body", args=[mailbox_id, folder_id, uid, part_id]),
        download_url=f"{_urls(mailbox_id, folder_id, uid)['part']}{part_id}/"))


@login_required
@xframe_options_sameorigin
def attached_body(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                  part_id: str) -> HttpResponse:
    try:
        body = attached_frame_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                                  uid=uid, part_id=part_id)
    except ApplicationError as exc:
        return _frame_error(exc)
    return _body_document(body, False)


@login_required
@mail_errors
def message_part(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                 part_id: str = "", cid: str = "") -> HttpResponse:
    preview = request.GET.get("apercu") == "1"
    part = message_part_open(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                             uid=uid, part_id=part_id, cid=cid, preview=preview)
    if preview and part.content_type not in PREVIEW_TYPES:
        raise Http404("no preview for this type")
    inline = ((bool(cid) or preview) and part.content_type in IMAGE_TYPES) or (
        preview and part.content_type == "application/pdf")
    return file_response(part.data, content_type=part.content_type, filename=part.filename, inline=inline)


@login_required
@mail_errors
def message_source(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    """"Afficher la source": the raw message as plain text, never interpreted."""
    raw = message_source_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                             uid=uid)
    return HttpResponse(raw, content_type="text/plain; charset=utf-8", headers=RAW_HEADERS)
