"""Reading a message: headers, body (sanitised HTML in a sandboxed frame, or text),
attachments. Bodies are fetched from IMAP on demand and cached briefly in Redis only
(``services.reading``)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, MessageGone
from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors import folder_list, message_summary_get, thread_messages
from apps.mail.services import message_flag_set, message_raw_get
from apps.trust.selectors import directory_entry_get

from .access import (
    request_audit,
    request_folder,
    request_is_page_load,
    request_mail_access,
    request_mailbox,
    request_mailbox_folder,
)
from .errors import mail_errors
from .selectors import image_sender_trusted, sender_outside_trust
from .services import (
    RecipientsRefused,
    attached_body_html,
    attached_message_get,
    image_sender_add,
    message_body_html,
    message_parsed_get,
    message_part_get,
    message_reports_shown,
    receipt_requested,
    receipt_respond,
)
from .services.documents import message_documents
from .services.patient_rule import PENDING

# Shown in the page (thumbnails) or the browser's own viewer (PDF), never as a document of
# this site: nosniff, the declared type only (no SVG), and a sandbox CSP on the response.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_TYPES = IMAGE_TYPES | {"application/pdf"}
BODY_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:{extra}; "
            "font-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
            "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox")
RAW_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
               "Cache-Control": "private, no-store"}


def _summary(folder: Folder, uid: int) -> MessageSummary:
    summary = message_summary_get(folder=folder, uid=uid)
    if summary is None:
        raise Http404("message")
    return summary


def _urls(mailbox: Mailbox, folder: Folder, uid: int) -> dict[str, str]:
    base = reverse("webmail:message", args=[mailbox.pk, folder.pk, uid])
    return {"body": base + "contenu/", "part": base + "piece/", "cid": base + "piece/cid/__CID__/"}


@login_required
@mail_errors
def message(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    mailbox = request_mailbox(request, mailbox_id)
    folders = folder_list(mailbox=mailbox)  # the pane's, and the open one among them
    folder = next((f for f in folders if f.pk == folder_id), None) or request_folder(mailbox, folder_id)
    access = request_mail_access(request, mailbox)
    summary = _summary(folder, uid)
    parsed = message_parsed_get(access=access, folder=folder, uid=uid)
    if request_is_page_load(request):  # never from an image, a prefetch or a script's fetch
        request_audit(request, event="message_read", mailbox=mailbox,
                      target=summary.message_id or f"uid:{uid}", folder=folder.name)
        if not summary.seen:
            message_flag_set(access=access, folder=folder, uids=[uid], flag="seen", value=True)
    urls = _urls(mailbox, folder, uid)
    remote_images = message_body_html(access=access, folder=folder, uid=uid, images=False,
                                      cid_url=urls["cid"])[1] if parsed.html else 0
    # Whether this sender's images are always shown matters only when there are some.
    sender_trusted = bool(remote_images) and image_sender_trusted(
        user=request.user, address=parsed.sender_address)  # type: ignore[arg-type]
    images = request.GET.get("images") == "1" or sender_trusted
    return render(request, "webmail/message.html", {
        "sender_trusted": sender_trusted, "images": images, "part_url": urls["part"],
        "mailbox": mailbox, "folders": folders, "folder": folder,
        "summary": summary, "message": parsed,
        "sender_outside": sender_outside_trust(address=parsed.sender_address, folder=folder),
        "sender_entry": directory_entry_get(address=parsed.sender_address),
        "body_url": urls["body"] + ("?images=1" if images else ""),
        "files": [a for a in parsed.attachments if not (a.inline and a.content_id)],
        "remote_images": remote_images,
        "conversation": thread_messages(mailbox=mailbox, thread_key=summary.thread_key)
        if summary.thread_key else [],
        "receipt_asker": receipt_requested(mailbox=mailbox, folder=folder, summary=summary, parsed=parsed),
        "reports": message_reports_shown(access=access, folder=folder, summary=summary),
        "documents": message_documents(access=access, folder=folder, uid=uid),
        "pending_folder_name": PENDING,
    })


@login_required
@require_POST
@mail_errors
def image_sender_trust_view(request: HttpRequest, mailbox_id: int, folder_id: int,
                            uid: int) -> HttpResponse:
    """"Toujours pour cet expéditeur": this sender's remote images are shown from now on."""
    mailbox = request_mailbox(request, mailbox_id)
    folder = request_folder(mailbox, folder_id)
    parsed = message_parsed_get(access=request_mail_access(request, mailbox), folder=folder, uid=uid)
    image_sender_add(user=request.user, address=parsed.sender_address)  # type: ignore[arg-type]
    messages.success(request, _("Images from %(sender)s will always be shown.") % {
        "sender": parsed.sender_address})
    return redirect("webmail:message", mailbox_id=mailbox.pk, folder_id=folder.pk, uid=uid)


@login_required
@require_POST
@mail_errors
def receipt_respond_view(request: HttpRequest, mailbox_id: int, folder_id: int,
                         uid: int) -> HttpResponse:
    """The user's answer to a read-receipt request: send it, or decline."""
    mailbox = request_mailbox(request, mailbox_id, write=True)
    folder, access = request_folder(mailbox, folder_id), request_mail_access(request, mailbox)
    summary = _summary(folder, uid)
    send = request.POST.get("action") == "send"
    request.session.save()  # the worker reads the PSC tokens from the stored session
    try:
        receipt_respond(access=access, user=request.user, folder=folder, summary=summary,  # type: ignore[arg-type]
                        parsed=message_parsed_get(access=access, folder=folder, uid=uid), send=send,
                        session_key=request.session.session_key)
    except RecipientsRefused as exc:
        messages.error(request, _("No receipt was sent: %(reason)s") % {"reason": exc.user_message})
    else:
        messages.success(request, _("Read receipt sent.") if send else _("Read receipt declined."))
    return redirect("webmail:message", mailbox_id=mailbox.pk, folder_id=folder.pk, uid=uid)


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
    if isinstance(exc, MessageGone):
        raise Http404("message gone") from exc
    return HttpResponse(f"<p>{exc.user_message}</p>", status=503)


@login_required
@xframe_options_sameorigin
def message_body(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    mailbox, folder = request_mailbox_folder(request, mailbox_id, folder_id)
    images = request.GET.get("images") == "1"
    try:
        body, _blocked = message_body_html(access=request_mail_access(request, mailbox), folder=folder,
                                           uid=uid, images=images, cid_url=_urls(mailbox, folder, uid)["cid"])
    except ApplicationError as exc:
        return _frame_error(exc)
    return _body_document(body, images)


@login_required
@mail_errors
def attached_message(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                     part_id: str) -> HttpResponse:
    """A forwarded message read in place: headers, body in the same sandboxed frame, and
    its own attachments named (download the .eml to open them)."""
    mailbox = request_mailbox(request, mailbox_id)
    folder = request_folder(mailbox, folder_id)
    parsed = attached_message_get(access=request_mail_access(request, mailbox), folder=folder, uid=uid,
                                  part_id=part_id)
    return render(request, "webmail/attached_message.html", {
        "mailbox": mailbox, "folders": folder_list(mailbox=mailbox), "folder": folder,
        "uid": uid, "message": parsed, "part_id": part_id,
        "body_url": reverse("webmail:attached_body", args=[mailbox.pk, folder.pk, uid, part_id]),
        "download_url": f"{_urls(mailbox, folder, uid)['part']}{part_id}/",
        "files": [a for a in parsed.attachments if not (a.inline and a.content_id)]})


@login_required
@xframe_options_sameorigin
def attached_body(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                  part_id: str) -> HttpResponse:
    mailbox = request_mailbox(request, mailbox_id)
    folder = request_folder(mailbox, folder_id)
    try:
        body = attached_body_html(access=request_mail_access(request, mailbox), folder=folder, uid=uid,
                                  part_id=part_id)
    except ApplicationError as exc:
        return _frame_error(exc)
    return _body_document(body, False)


@login_required
@mail_errors
def message_part(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                 part_id: str = "", cid: str = "") -> HttpResponse:
    mailbox = request_mailbox(request, mailbox_id)
    folder = request_folder(mailbox, folder_id)
    data, content_type, filename = message_part_get(access=request_mail_access(request, mailbox),
                                                    folder=folder, uid=uid, part_id=part_id, cid=cid)
    preview = request.GET.get("apercu") == "1"
    if preview and content_type not in PREVIEW_TYPES:
        raise Http404("no preview for this type")
    if not cid and request_is_page_load(request):  # an attachment opened or downloaded by the person
        request_audit(request, event="attachment_downloaded", mailbox=mailbox,
                      target=_summary(folder, uid).message_id or f"uid:{uid}", folder=folder.name,
                      filename=filename, preview=preview)
    inline = ((bool(cid) or preview) and content_type in IMAGE_TYPES) or (
        preview and content_type == "application/pdf")
    return file_response(data, content_type=content_type, filename=filename, inline=inline)


def file_response(data: bytes, *, content_type: str, filename: str, inline: bool) -> HttpResponse:
    """A file from a message: shown in place (its own type, sandboxed) or downloaded."""
    response = HttpResponse(data, content_type=content_type if inline else "application/octet-stream",
                            headers=RAW_HEADERS)
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; "
        f"filename=\"{filename.encode('ascii', 'replace').decode().replace('?', '_')}\"; "
        f"filename*=UTF-8''{quote(filename)}")
    return response


@login_required
@mail_errors
def message_source(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    """"Afficher la source": the raw message as plain text, never interpreted."""
    mailbox = request_mailbox(request, mailbox_id)
    folder = request_folder(mailbox, folder_id)
    raw = message_raw_get(access=request_mail_access(request, mailbox), folder=folder, uid=uid)
    return HttpResponse(raw, content_type="text/plain; charset=utf-8", headers=RAW_HEADERS)
