"""Reading a message: headers, body (sanitised HTML in a sandboxed frame, or text),
attachments. Bodies are fetched from IMAP on demand and cached briefly in Redis only."""

from __future__ import annotations

import logging
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.mail.mime.message import ParsedMessage, parse_message, part_payload
from apps.mail.mime.receipts import Report
from apps.mail.mime.sanitize import POLICY_VERSION, sanitize_html, text_to_html
from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors import folder_list, thread_messages
from apps.mail.services import mailbox_session, message_flag_set, message_reports
from apps.trust.models import DirectoryEntry

from .selectors import image_sender_trusted
from .services import RecipientsRefused, image_sender_add, receipt_requested, receipt_respond
from .views import _mailbox, _token_provider, mail_errors

logger = logging.getLogger(__name__)
# Shown in the page (thumbnails) or the browser's own viewer (PDF), never as a document of
# this site: nosniff, the declared type only (no SVG), and a sandbox CSP on the response.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_TYPES = IMAGE_TYPES | {"application/pdf"}
RAW_CACHE_SECONDS = 120  # long enough for the page, its frame and its images; no longer
RAW_CACHE_MAX = 2 * 1024 * 1024
BODY_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:{extra}; "
            "font-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
            "sandbox allow-popups allow-popups-to-escape-sandbox")


def _folder(mailbox: Mailbox, folder_id: int) -> Folder:
    folder = Folder.objects.filter(mailbox=mailbox, pk=folder_id).first()
    if folder is None:
        raise Http404("folder")
    return folder


def _raw(request: HttpRequest, mailbox: Mailbox, folder: Folder, uid: int) -> bytes:
    key = f"mssweb:raw:{mailbox.pk}:{folder.pk}:{folder.uidvalidity}:{uid}"
    raw = cache.get(key)
    if raw is None:
        with mailbox_session(mailbox=mailbox, token_provider=_token_provider(request),
                             pool_key=f"user:{request.user.pk}") as session:
            raw = session.fetch_raw(folder.name, uid)
        if raw is None:
            MessageSummary.objects.filter(folder=folder, uid=uid).delete()
            raise Http404("message gone")
        if len(raw) <= RAW_CACHE_MAX:
            cache.set(key, raw, RAW_CACHE_SECONDS)
    return bytes(raw)


def _parsed(request: HttpRequest, mailbox: Mailbox, folder: Folder, uid: int) -> ParsedMessage:
    """The parsed message, kept as briefly as the raw one: the page, its frame and its
    images each need it within a second."""
    key = f"mssweb:parsed:{mailbox.pk}:{folder.pk}:{folder.uidvalidity}:{uid}"
    parsed = cache.get(key)
    if parsed is None:
        parsed = parse_message(_raw(request, mailbox, folder, uid))
        cache.set(key, parsed, RAW_CACHE_SECONDS)
    return parsed  # type: ignore[no-any-return]


def _urls(mailbox: Mailbox, folder: Folder, uid: int) -> dict[str, str]:
    base = reverse("webmail:message", args=[mailbox.pk, folder.pk, uid])
    return {"body": base + "contenu/", "part": base + "piece/"}


@login_required
@mail_errors
def message(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    summary = MessageSummary.objects.filter(folder=folder, uid=uid).first()
    if summary is None:
        raise Http404("message")
    parsed = _parsed(request, mailbox, folder, uid)
    if not summary.seen:
        message_flag_set(folder=folder, uids=[uid], flag="seen", value=True,
                         token_provider=_token_provider(request),
                         pool_key=f"user:{request.user.pk}")
    sender = DirectoryEntry.objects.filter(address=parsed.sender_address).first()
    urls = _urls(mailbox, folder, uid)
    sender_trusted = image_sender_trusted(user=request.user, address=parsed.sender_address)  # type: ignore[arg-type]
    images = request.GET.get("images") == "1" or sender_trusted
    return render(request, "webmail/message.html", {
        "sender_trusted": sender_trusted,
        "mailbox": mailbox, "folders": folder_list(mailbox=mailbox), "folder": folder,
        "summary": summary, "message": parsed, "sender_entry": sender,
        "body_url": urls["body"] + ("?images=1" if images else ""), "images": images,
        "part_url": urls["part"],
        "files": [a for a in parsed.attachments if not (a.inline and a.content_id)],
        "remote_images": _sanitized(request, mailbox, folder, uid, parsed.html, False)[1]
        if parsed.html else 0,
        "conversation": thread_messages(mailbox=mailbox, thread_key=summary.thread_key)
        if summary.thread_key else [],
        "receipt_asker": receipt_requested(mailbox=mailbox, folder=folder, summary=summary,
                                           parsed=parsed),
        "reports": _reports(request, mailbox, folder, summary),
    })


def _reports(request: HttpRequest, mailbox: Mailbox, folder: Folder,
             summary: MessageSummary) -> list[Report]:
    """Receipts and delivery reports about a message this mailbox sent; a failure to fetch
    them never hides the message itself."""
    if folder.role != Folder.Role.SENT:
        return []
    try:
        return message_reports(mailbox=mailbox, summary=summary,
                               token_provider=_token_provider(request),
                               pool_key=f"user:{request.user.pk}")
    except ApplicationError as exc:
        logger.info("reports of %s not shown: %s", summary.message_id, exc.detail)
        return []


@login_required
@require_POST
@mail_errors
def image_sender_trust_view(request: HttpRequest, mailbox_id: int, folder_id: int,
                            uid: int) -> HttpResponse:
    """"Toujours pour cet expéditeur": this sender's remote images are shown from now on."""
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    parsed = _parsed(request, mailbox, folder, uid)
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
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    summary = MessageSummary.objects.filter(folder=folder, uid=uid).first()
    if summary is None:
        raise Http404("message")
    send = request.POST.get("action") == "send"
    request.session.save()
    try:
        receipt_respond(user=request.user, mailbox=mailbox, folder=folder, summary=summary,  # type: ignore[arg-type]
                        parsed=_parsed(request, mailbox, folder, uid), send=send,
                        session_key=request.session.session_key,
                        token_provider=_token_provider(request), pool_key=f"user:{request.user.pk}")
    except RecipientsRefused as exc:
        messages.error(request, _("No receipt was sent: %(reason)s") % {"reason": exc.user_message})
    else:
        messages.success(request, _("Read receipt sent.") if send else _("Read receipt declined."))
    return redirect("webmail:message", mailbox_id=mailbox.pk, folder_id=folder.pk, uid=uid)


def _clean_key(mailbox: Mailbox, folder: Folder, uid: int, images: bool) -> str:
    return (f"mssweb:clean:{POLICY_VERSION}:{mailbox.pk}:{folder.pk}:{folder.uidvalidity}:"
            f"{uid}:{int(images)}")


def _sanitized(request: HttpRequest, mailbox: Mailbox, folder: Folder, uid: int,
               source: str | None, images: bool) -> tuple[str, int]:
    """Sanitise once per message version and policy: bleach costs ~3 ms per KB."""
    key = _clean_key(mailbox, folder, uid, images)
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    cid_url = _urls(mailbox, folder, uid)["part"] + "cid/__CID__/"
    result = sanitize_html(source or "", allow_remote=images, cid_url=cid_url)
    value = (result.html, result.remote_images)
    cache.set(key, value, 600)
    return value


@login_required
@xframe_options_sameorigin
def message_body(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    images = request.GET.get("images") == "1"
    cached = cache.get(_clean_key(mailbox, folder, uid, images))
    if cached is not None:
        body = cached[0]
    else:
        try:
            parsed = _parsed(request, mailbox, folder, uid)
        except ApplicationError as exc:
            return HttpResponse(f"<p>{exc.user_message}</p>", status=503)
        if parsed.html:
            body, _ = _sanitized(request, mailbox, folder, uid, parsed.html, images)
        else:
            body = text_to_html(parsed.text or "")
            cache.set(_clean_key(mailbox, folder, uid, images), (body, 0), 600)
    return _body_document(body, images)


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


def _attached(request: HttpRequest, mailbox: Mailbox, folder: Folder, uid: int,
              part_id: str) -> ParsedMessage:
    """A message/rfc822 attachment, parsed like a message of its own."""
    found = part_payload(_raw(request, mailbox, folder, uid), part_id)
    if found is None or found[1] != "message/rfc822":
        raise Http404("attached message")
    return parse_message(found[0])


@login_required
@mail_errors
def attached_message(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                     part_id: str) -> HttpResponse:
    """A forwarded message read in place: headers, body in the same sandboxed frame, and
    its own attachments named (download the .eml to open them)."""
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    parsed = _attached(request, mailbox, folder, uid, part_id)
    urls = _urls(mailbox, folder, uid)
    return render(request, "webmail/attached_message.html", {
        "mailbox": mailbox, "folders": folder_list(mailbox=mailbox), "folder": folder,
        "uid": uid, "message": parsed, "part_id": part_id,
        "body_url": reverse("webmail:attached_body", args=[mailbox.pk, folder.pk, uid, part_id]),
        "download_url": f"{urls['part']}{part_id}/",
        "files": [a for a in parsed.attachments if not (a.inline and a.content_id)]})


@login_required
@xframe_options_sameorigin
def attached_body(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                  part_id: str) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    key = f"mssweb:clean:{POLICY_VERSION}:{mailbox.pk}:{folder.pk}:{folder.uidvalidity}:{uid}:{part_id}"
    body = cache.get(key)
    if body is None:
        try:
            parsed = _attached(request, mailbox, folder, uid, part_id)
        except ApplicationError as exc:
            return HttpResponse(f"<p>{exc.user_message}</p>", status=503)
        body = (sanitize_html(parsed.html, allow_remote=False, cid_url=None).html if parsed.html
                else text_to_html(parsed.text or ""))
        cache.set(key, body, 600)
    return _body_document(body, False)


@login_required
@mail_errors
def message_part(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int,
                 part_id: str = "", cid: str = "") -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    raw = _raw(request, mailbox, folder, uid)
    if cid:
        parsed = parse_message(raw)
        match = next((a for a in parsed.attachments if a.content_id == cid), None)
        if match is None:
            raise Http404("cid")
        part_id = match.part_id
    found = part_payload(raw, part_id)
    if found is None:
        raise Http404("part")
    data, content_type, filename = found
    preview = request.GET.get("apercu") == "1"
    if preview and content_type not in PREVIEW_TYPES:
        raise Http404("no preview for this type")
    inline_image = (bool(cid) or preview) and content_type in IMAGE_TYPES
    inline = inline_image or (preview and content_type == "application/pdf")
    response = HttpResponse(data, content_type=content_type if inline else "application/octet-stream")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{filename.encode('ascii', 'replace').decode().replace('?', '_')}\"; "
        f"filename*=UTF-8''{quote(filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@login_required
@mail_errors
def message_source(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int) -> HttpResponse:
    """"Afficher la source": the raw message as plain text, never interpreted."""
    mailbox = _mailbox(request, mailbox_id)
    folder = _folder(mailbox, folder_id)
    raw = _raw(request, mailbox, folder, uid)
    response = HttpResponse(raw, content_type="text/plain; charset=utf-8")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
