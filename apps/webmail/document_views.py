"""A health document's page (issue 13): its header first (patient with INS, type, author,
structure, date, confidentiality), a table of contents for long documents, its sections
(our renderer, then the mail sanitiser), an N1's PDF or text in the sandboxed viewer with
download; the images its narrative shows; each opening audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from apps.core.crypto import patient_reference
from apps.documents.results import lab_results
from mailproto.mime.message import safe_filename

from .access import request_audit, request_folder, request_is_page_load, request_mail_access, request_mailbox
from .errors import mail_errors
from .reader_views import _summary, file_response
from .services.documents import (
    document_media_get,
    document_package_file_get,
    document_sections_html,
    message_document_get,
)

TOC_FROM = 4  # sections: a table of contents above this many


def _card(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str) -> tuple:  # type: ignore[type-arg]
    mailbox = request_mailbox(request, mailbox_id)
    folder = request_folder(mailbox, folder_id)
    card = message_document_get(access=request_mail_access(request, mailbox), folder=folder, uid=uid, key=key)
    if card is None:
        raise Http404("document")
    return mailbox, folder, card


@login_required
@mail_errors
def document_page(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str) -> HttpResponse:
    mailbox, folder, card = _card(request, mailbox_id, folder_id, uid, key)
    base = reverse("webmail:document", args=[mailbox.pk, folder.pk, uid, key])
    summary = _summary(folder, uid)
    document = card.document
    assert document is not None
    if request_is_page_load(request):
        request_audit(request, event="document_opened", mailbox=mailbox,
                      target=summary.message_id or f"uid:{uid}", folder=folder.name, document=document.id,
                      type=document.type.code,
                      patient=patient_reference(document.patient.ins) if document.patient.ins else "")
    sections = document_sections_html(card=card, media_url=base + "image/__CID__/",
                                      file_url=base + "lie/__FILE__/")
    return render(request, "webmail/document.html", {
        "mailbox": mailbox, "folder": folder, "summary": summary, "card": card, "document": document,
        "sections": sections, "toc": len(sections) >= TOC_FROM, "file_url": base + "fichier/",
        "results": lab_results(document.root),
        "message_url": reverse("webmail:message", args=[mailbox.pk, folder.pk, uid])})


@login_required
@mail_errors
@xframe_options_sameorigin
def document_file(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str) -> HttpResponse:
    """An N1's own content (PDF, text): in the viewer, or downloaded (?telecharger=1)."""
    _, _, card = _card(request, mailbox_id, folder_id, uid, key)
    document = card.document
    if document is None or not document.body_bytes:
        raise Http404("no file in this document")
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
    _, _, card = _card(request, mailbox_id, folder_id, uid, key)
    found = document_media_get(card=card, ref=ref)
    if found is None:
        raise Http404("image")
    data, media_type = found
    return file_response(data, content_type=media_type,
                         filename=f"{safe_filename(ref)}.{media_type.split('/')[1]}",
                         inline=request.GET.get("telecharger") != "1")


@login_required
@mail_errors
def document_package_file(request: HttpRequest, mailbox_id: int, folder_id: int, uid: int, key: str,
                          name: str) -> HttpResponse:
    """A file of the document's package its narrative links to: shown in place when its
    type is one we show (PDF, image, text; sandboxed), else downloaded."""
    _, _, card = _card(request, mailbox_id, folder_id, uid, key)
    found = document_package_file_get(card=card, name=name)
    if found is None:
        raise Http404("no such file in the package")
    data, media_type = found
    return file_response(data, content_type=media_type or "application/octet-stream",
                         filename=safe_filename(name), inline=bool(media_type))

