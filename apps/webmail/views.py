"""The professional's pages. Thin: parse, call one selector or service, render."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, MailServerUnavailable, SessionExpired
from apps.mail.models import Folder, Mailbox
from apps.mail.selectors import (
    LIST_SORTS,
    folder_list,
    mailbox_primary_for_user,
    message_page,
    messages_arrived,
)
from apps.mail.services import mailbox_first_screen, mailbox_sync, mailbox_sync_enqueue
from apps.mail.sync import TUNING

from .access import request_mail_access, request_mailbox
from .errors import error_page, mail_errors
from .selectors import ListPage, list_page_get, senders_outside_trust

logger = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(seconds=30)


def _open_folder(request: HttpRequest, mailbox_id: int,
                 folder_id: int) -> tuple[Mailbox, list[Folder], Folder]:
    """The mailbox, its folders and the open one; a sync is asked for when it is stale."""
    mailbox = request_mailbox(request, mailbox_id)
    folders = folder_list(mailbox=mailbox)
    current = next((f for f in folders if f.pk == folder_id), None)
    if current is None:
        raise Http404("folder")
    if current.last_sync_at is None or timezone.now() - current.last_sync_at > STALE_AFTER:
        mailbox_sync_enqueue(mailbox=mailbox, session_key=request.session.session_key,
                             only=[current.name])
    return mailbox, folders, current


@login_required
@mail_errors
def home(request: HttpRequest) -> HttpResponse:
    """The primary mailbox's INBOX. A mailbox never synced gets its first screen inline
    (the newest messages); a worker fetches the rest."""
    return _inbox(request, mailbox_primary_for_user(user=request.user))  # type: ignore[arg-type]


@login_required
@mail_errors
def mailbox_home(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Another of the user's mailboxes (a shared one they were given), opened on its INBOX."""
    return _inbox(request, request_mailbox(request, mailbox_id))


def _inbox(request: HttpRequest, mailbox: Mailbox) -> HttpResponse:
    inbox = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.INBOX).first()
    if inbox is None:
        mailbox_first_screen(access=request_mail_access(request, mailbox), only=["INBOX"],
                             initial_limit=TUNING.first_batch)
        mailbox_sync_enqueue(mailbox=mailbox, session_key=request.session.session_key)
        inbox = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.INBOX).first()
    if inbox is None:
        raise MailServerUnavailable("no INBOX after sync")
    return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=inbox.pk)


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
def folder(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    mailbox, folders, current = _open_folder(request, mailbox_id, folder_id)
    sort, threads = _list_options(request)
    page: ListPage = list_page_get(folder=current, before=_before(request), sort=sort, threads=threads,
                                   only=request.GET.get("filtre", ""), page=request.GET.get("page", ""))
    return render(request, "webmail/folder.html", {
        "mailbox": mailbox, "folders": folders, "folder": current, "page": page,
        "messages_list": page.messages, "newest_uid": page.newest_uid, "next_page": page.next_page,
        "paged": "avant" in request.GET or page.number > 1, "only": page.only, "sort": sort,
        "threads": threads, "sorts": SORT_CHOICES, "filters": FILTER_CHOICES,
        "move_targets": [f for f in folders if f.pk != current.pk],
        "outside": senders_outside_trust(addresses=[m.sender_address for m in page.messages],
                                         folder=current)})


@login_required
def folder_status(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    """Polled by the open page: folder counts, sync state, and whether new mail arrived."""
    mailbox, folders, current = _open_folder(request, mailbox_id, folder_id)
    try:
        shown = int(request.GET.get("depuis", "0"))
    except ValueError:
        shown = 0
    newest = message_page(folder=current, limit=1)
    fresh = bool(newest and newest[0].uid > shown)
    # The plain newest-first list takes the new rows in place; any other view offers a link.
    direct = fresh and request.GET.get("direct") == "1"
    arrived = messages_arrived(folder=current, after_uid=shown) if direct else []
    return render(request, "webmail/_status.html", {
        "mailbox": mailbox, "folders": folders, "folder": current, "fresh": fresh and not arrived,
        "arrived": arrived, "threads": False,
        "outside": senders_outside_trust(addresses=[m.sender_address for m in arrived], folder=current)})


@login_required
@require_POST
def mailbox_sync_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """The folder pane's "Réessayer": a sync at once, whatever the backoff; the pane then
    shows how it went."""
    mailbox = request_mailbox(request, mailbox_id)
    target = request.POST.get("folder") or ""
    try:
        mailbox_sync(access=request_mail_access(request, mailbox), only=[target] if target else None,
                     initial_limit=TUNING.first_batch)
    except SessionExpired as exc:
        return error_page(request, exc, 401)
    except ApplicationError as exc:
        logger.info("manual sync of %s failed: %s", mailbox.address, exc.detail)
    current = Folder.objects.filter(mailbox=mailbox, name=target).first() or Folder.objects.filter(
        mailbox=mailbox, role=Folder.Role.INBOX).first()
    if current is None:
        return redirect("webmail:inbox")
    return redirect(reverse("webmail:folder", args=[mailbox.pk, current.pk]))
