"""What every page starts from: the signed-in user's mailbox and folder (404 when not
theirs), and the ``MailAccess`` that reaches the mailbox for this request."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.http import Http404, HttpRequest

from apps.audit.services import audit_log
from apps.core.errors import ReadOnlyMailbox
from apps.mail.models import Folder, Mailbox
from apps.mail.selectors import folder_get, mailboxes_for_user
from apps.mail.services import MailAccess, mail_access_for_request

logger = logging.getLogger(__name__)


def request_mailbox(request: HttpRequest, mailbox_id: int, *, write: bool = False) -> Mailbox:
    """One of the user's mailboxes (own, delegated or shared), else 404; ``write``: for
    sending, moving, deleting or settings, which a read-only delegation refuses
    (``ReadOnlyMailbox``, the French page)."""
    mailbox = next((m for m in request_user_mailboxes(request) if m.pk == mailbox_id), None)
    if mailbox is None:
        raise Http404("mailbox")
    if write and mailbox.read_only:
        logger.info("read-only delegate %s refused a change on %s", getattr(request.user, "idnat", ""),
                    mailbox.address)
        raise ReadOnlyMailbox(mailbox.address)
    return mailbox


def request_user_mailboxes(request: HttpRequest) -> list[Mailbox]:
    """All the user's mailboxes (own and delegated, with their rights), read once per
    request: a page's mailbox and its folder pane's list of mailboxes come from one query."""
    cached: list[Mailbox] | None = getattr(request, "_user_mailboxes", None)
    if cached is None:
        cached = mailboxes_for_user(user=request.user)  # type: ignore[arg-type]
        request._user_mailboxes = cached  # type: ignore[attr-defined]
    return cached


def request_mailbox_folder(request: HttpRequest, mailbox_id: int, folder_id: int) -> tuple[Mailbox, Folder]:
    """One of the user's mailboxes and one of its folders, else 404."""
    mailbox = request_mailbox(request, mailbox_id)
    return mailbox, request_folder(mailbox, folder_id)


def request_folder(mailbox: Mailbox, folder_id: int) -> Folder:
    folder = folder_get(mailbox=mailbox, folder_id=folder_id)
    if folder is None:
        raise Http404("folder")
    return folder


def request_mail_access(request: HttpRequest, mailbox: Mailbox) -> MailAccess:
    """Tokens from this request's PSC session; connections pooled for the user."""
    return mail_access_for_request(mailbox=mailbox, session=request.session,
                                   user_pk=request.user.pk,  # type: ignore[arg-type]
                                   actor=getattr(request.user, "idnat", "") or "")


def request_access_for(request: HttpRequest) -> Callable[[Mailbox], MailAccess]:
    """For services that may reach several of the user's mailboxes (a forward's original
    may be in another one)."""
    return functools.partial(request_mail_access, request)


PAGE_DESTINATIONS = ("document", "iframe")


def request_is_page_load(request: HttpRequest) -> bool:
    """Whether this GET is the person opening a page (``Sec-Fetch-Dest: document`` or
    ``iframe``, no prefetch), the only GET that may record a read or mark a message read: an
    ``<img src>`` pointing at a message page (a sender's trick, from a message whose images
    are shown) or a prefetch arrives as ``image``, ``empty``, ``object``… or without the
    header (then nothing is recorded: failing safe)."""
    purpose = (request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")).lower()
    return request.headers.get("Sec-Fetch-Dest", "") in PAGE_DESTINATIONS and "prefetch" not in purpose


def request_audit(request: HttpRequest, *, event: str, mailbox: Mailbox, target: str = "",
                  outcome: str = "ok", **details: object) -> None:
    """An audit event for what this request did: who (idNat), from where, on which mailbox
    (and its structure), through which delegation if not their own."""
    user = request.user
    audit_log(event=event, actor=getattr(user, "idnat", "") or getattr(user, "username", ""),
              mailbox=mailbox.address, target=target, outcome=outcome, structure_id=mailbox.structure_id,
              delegation=getattr(mailbox, "delegated_rights", "") or "",
              client_ip=request.META.get("REMOTE_ADDR", ""), **details)
