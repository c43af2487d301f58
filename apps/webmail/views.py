"""The professional's pages. Thin: parse, call one selector or service, render."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.accounts.services import psc_access_token_get
from apps.core.errors import (
    ApplicationError,
    IndexUnavailable,
    MailAuthError,
    MailServerUnavailable,
    SessionExpired,
)
from apps.mail.models import Folder, Mailbox
from apps.mail.selectors import (
    LIST_FILTERS,
    LIST_SORTS,
    folder_list,
    mailbox_get_for_user,
    mailbox_primary_for_user,
    message_page,
)
from apps.mail.services import TokenProvider, mailbox_sync_enqueue, mailbox_sync_run
from apps.mail.sync import FIRST_BATCH

logger = logging.getLogger(__name__)
View = Callable[..., HttpResponse]
STALE_AFTER = dt.timedelta(seconds=30)


def _token_provider(request: HttpRequest) -> TokenProvider:
    actor = getattr(request.user, "idnat", "") or ""
    return lambda force: psc_access_token_get(session=request.session, actor=actor,
                                              force_refresh=force)


def _mailbox(request: HttpRequest, mailbox_id: int) -> Mailbox:
    try:
        return mailbox_get_for_user(user=request.user, mailbox_id=mailbox_id)  # type: ignore[arg-type]
    except Mailbox.DoesNotExist:
        raise Http404("mailbox") from None


def _error_page(request: HttpRequest, error: ApplicationError, status: int) -> HttpResponse:
    return render(request, "webmail/error.html", {
        "error": error.user_message, "session_expired": isinstance(error, SessionExpired)},
        status=status)


def mail_errors(view: View) -> View:
    """Every mail error ends on the French error page with a fitting status, never a 500:
    401 when the PSC session is over, 503 when the operator fails. The service that raised
    already logged the detail for the operator."""
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SessionExpired as exc:
            return _error_page(request, exc, 401)
        except (MailServerUnavailable, MailAuthError, IndexUnavailable) as exc:
            return _error_page(request, exc, 503)
        except ApplicationError as exc:
            return _error_page(request, exc, 200)
    return wrapper


def _open_folder(request: HttpRequest, mailbox_id: int,
                 folder_id: int) -> tuple[Mailbox, list[Folder], Folder]:
    """The mailbox, its folders and the open one; a sync is asked for when it is stale."""
    mailbox = _mailbox(request, mailbox_id)
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
    mailbox = mailbox_primary_for_user(user=request.user)  # type: ignore[arg-type]
    inbox = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.INBOX).first()
    if inbox is None:
        mailbox_sync_run(mailbox=mailbox, token_provider=_token_provider(request),
                         only=["INBOX"], initial_limit=FIRST_BATCH)
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
    only = request.GET.get("filtre", "")
    sort, threads = _list_options(request)
    keyset = LIST_SORTS[sort][1]
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    messages = message_page(folder=current, before=_before(request), only=only, sort=sort,
                            offset=(page - 1) * 50, threads=threads)
    next_page = None
    if len(messages) == 50:
        if not keyset:
            next_page = f"page={page + 1}"
        elif messages[-1].date:
            next_page = f"avant={messages[-1].date.timestamp():.0f}_{messages[-1].uid}"
    context = {
        "mailbox": mailbox, "folders": folders, "folder": current, "messages_list": messages,
        "newest_uid": max((m.uid for m in messages), default=0),
        "next_page": next_page, "paged": "avant" in request.GET or page > 1,
        "only": only if only in LIST_FILTERS else "", "sort": sort, "threads": threads,
        "sorts": SORT_CHOICES, "move_targets": [f for f in folders if f.pk != current.pk],
        "filters": [("", _("All")), ("nonlus", _("Unread")), ("suivis", _("Flagged")),
                    ("pj", _("With attachment")), ("patients", _("From patients")),
                    ("documents", _("Health documents"))],
    }
    return render(request, "webmail/folder.html", context)


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
    return render(request, "webmail/_status.html", {
        "mailbox": mailbox, "folders": folders, "folder": current, "fresh": fresh})


@login_required
@require_POST
def mailbox_sync_now(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    target = request.POST.get("folder") or ""
    try:
        mailbox_sync_run(mailbox=mailbox, token_provider=_token_provider(request),
                         only=[target] if target else None, initial_limit=FIRST_BATCH)
    except SessionExpired as exc:
        return _error_page(request, exc, 401)
    except ApplicationError as exc:
        logger.info("manual sync of %s failed: %s", mailbox.address, exc.detail)
    current = Folder.objects.filter(mailbox=mailbox, name=target).first() or Folder.objects.filter(
        mailbox=mailbox, role=Folder.Role.INBOX).first()
    if current is None:
        return redirect("webmail:inbox")
    return redirect(reverse("webmail:folder", args=[mailbox.pk, current.pk]))
