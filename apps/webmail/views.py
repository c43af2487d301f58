"""The professional's pages. Thin: parse, call one selector or service, render."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.flows.listing import folder_page_get, folder_status_get, inbox_open, mailbox_sync_now
from apps.flows.news import mailbox_news_stream
from apps.mail.selectors import LIST_SORTS
from mailproto.identifiers import ascii_digits

from .access import request_actor
from .errors import mail_errors
from .rendering import page_context

logger = logging.getLogger(__name__)


@login_required
@mail_errors
def home(request: HttpRequest) -> HttpResponse:
    """The primary mailbox's INBOX (its first screen synced inline when never synced)."""
    mailbox_id, inbox_id = inbox_open(actor=request_actor(request))
    return redirect("webmail:folder", mailbox_id=mailbox_id, folder_id=inbox_id)


@login_required
@mail_errors
def mailbox_home(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Another of the user's mailboxes (a shared one they were given), opened on its INBOX."""
    mailbox_id, inbox_id = inbox_open(actor=request_actor(request), mailbox_id=mailbox_id)
    return redirect("webmail:folder", mailbox_id=mailbox_id, folder_id=inbox_id)


def _before(request: HttpRequest) -> tuple[dt.datetime, int] | None:
    raw = request.GET.get("avant", "")
    stamp, _, uid = raw.rpartition("_")
    try:
        return dt.datetime.fromtimestamp(float(stamp), dt.UTC), int(uid)
    except ValueError:
        return None


SORT_CHOICES = [("date", _("Newest first")), ("ancien", _("Oldest first")),
                ("expediteur", _("Sender")), ("objet", _("Subject"))]
FILTER_CHOICES = [("", _("All")), ("nonlus", _("Unread")), ("suivis", _("Flagged")),
                  ("pj", _("With attachment")), ("patients", _("From patients")),
                  ("documents", _("Health documents"))]


def _list_options(request: HttpRequest) -> tuple[str, bool]:
    """Sort and conversation view: from the URL when given (and then remembered for the
    session), else as last chosen."""
    remembered = request.session.get("list_view", {})
    sort = request.GET.get("tri") or remembered.get("sort", "date")
    sort = sort if sort in LIST_SORTS else "date"
    asked = request.GET.get("conversations")
    threads = asked == "1" if asked in ("0", "1") else bool(remembered.get("threads", False))
    if "tri" in request.GET or asked in ("0", "1"):
        request.session["list_view"] = {"sort": sort, "threads": threads}
    return sort, threads


@login_required
@mail_errors
def folder(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    sort, threads = _list_options(request)
    shown = folder_page_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                            before=_before(request), sort=sort, threads=threads,
                            only=request.GET.get("filtre", ""), page=request.GET.get("page", ""))
    page = shown.page
    return render(request, "webmail/folder.html", page_context(
        shown, messages_list=page.messages, newest_uid=page.newest_uid, next_page=page.next_page,
        paged="avant" in request.GET or page.number > 1, only=page.only, sort=sort, threads=threads,
        sorts=SORT_CHOICES, filters=FILTER_CHOICES, move_targets=shown.move_targets))


@login_required
@mail_errors
def folder_status(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    """Polled by the open page: folder counts, sync state, and whether new mail arrived."""
    shown = request.GET.get("depuis", "0")
    status = folder_status_get(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                               shown=int(shown) if ascii_digits(shown) else 0,
                               direct=request.GET.get("direct") == "1")
    return render(request, "webmail/_status.html", page_context(status, threads=False))


@login_required
@mail_errors
def mailbox_events(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """The open page's event stream (Server-Sent Events): ``changed`` when a sync brought
    something into the mailbox, so that the page asks for its status at once (issue 28).
    204 (the browser then stops asking; the page polls) when push is off, or when this
    server cannot hold a stream without holding a whole worker (gunicorn's sync workers:
    the ``push`` role serves it)."""
    asynchronous = isinstance(request, ASGIRequest)
    if not settings.MSSANTE_PUSH or not (asynchronous or request.META.get("wsgi.multithread")):
        return HttpResponse(status=204)
    stream = mailbox_news_stream(actor=request_actor(request), mailbox_id=mailbox_id,
                                 asynchronous=asynchronous)
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["X-Accel-Buffering"] = "no"  # a buffering proxy (nginx) would hold the events
    return response  # type: ignore[return-value]  # mail_errors wraps views of HttpResponse


@login_required
@require_POST
@mail_errors
def mailbox_sync_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """The folder pane's "Réessayer": a sync at once, whatever the backoff; the pane then
    shows how it went."""
    shown = mailbox_sync_now(actor=request_actor(request), mailbox_id=mailbox_id,
                             folder_name=request.POST.get("folder") or "")
    if shown is None:
        return redirect("webmail:inbox")
    return redirect(reverse("webmail:folder", args=list(shown)))
