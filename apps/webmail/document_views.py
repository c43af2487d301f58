"""A health document's page (issue 13): its header first (patient with INS, type, author,
structure, date, confidentiality), a table of contents for long documents, its sections
(our renderer, then the mail sanitiser), an N1's PDF or text in the sandboxed viewer with
download; the images its narrative shows; each opening audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from apps.flows.document_pages import (
    document_file_get,
    document_image_get,
    document_package_file_open,
    document_page_get,
)
from mailproto.mime.message import safe_filename

from .access import request_actor
from .errors import mail_errors
from .rendering import file_response, page_context

TOC_FROM = 4  # sections: a table of contents above this many


@login_required
@mail_errors
def document_page(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str) -> HttpResponse:
    base = reverse("webmail:document", args=[mailbox_id, folder_id, uid, key])
    page = document_page_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                             uid=uid, key=key, media_url=base + "image/__CID__/",
                             file_url=base + "lie/__FILE__/")
    return render(request, "webmail/document.html", page_context(
        page, toc=len(page.sections) >= TOC_FROM, file_url=base + "fichier/",
        message_url=reverse("webmail:message", args=[mailbox_id, folder_id, uid])))


@login_required
@mail_errors
@xframe_options_sameorigin
def document_file(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str) -> HttpResponse:
    """An N1's own content (PDF, text): in the viewer, or downloaded (?telecharger=1)."""
    document = document_file_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                                 uid=uid, key=key)
    media_type = document.body_media_type.split(";")[0].strip().lower()
    extension = {"application/pdf": "pdf", "text/plain": "txt"}.get(media_type, "bin")
    inline = media_type in ("application/pdf", "text/plain") and request.GET.get("telecharger") != "1"
    content_type = "text/plain; charset=utf-8" if media_type == "text/plain" else media_type
    return file_response(document.body_bytes, content_type=content_type,
                         filename=safe_filename(f"{document.title or 'document'}.{extension}"), inline=inline)


@login_required
@mail_errors
def document_image(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str,
                   ref: str) -> HttpResponse:
    image = document_image_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                               uid=uid, key=key, ref=ref)
    return file_response(image.data, content_type=image.content_type,
                         filename=f"{safe_filename(ref)}.{image.content_type.split('/')[1]}",
                         inline=request.GET.get("telecharger") != "1")


@login_required
@mail_errors
def document_package_file(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str,
                          name: str) -> HttpResponse:
    """A file of the document's package its narrative links to: shown in place when its
    type is one we show (PDF, image, text; sandboxed), else downloaded."""
    found = document_package_file_open(actor=request_actor(request), mailbox_id=mailbox_id,
                                       folder_id=folder_id, uid=uid, key=key, name=name)
    return file_response(found.data, content_type=found.content_type or "application/octet-stream",
                         filename=safe_filename(name), inline=bool(found.content_type))
