"""Reads for the mail engine: mailboxes, folders, list pages and searches, all from the
local index (bodies are fetched from IMAP on demand by the services)."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import NoMailbox
from apps.core.prepared import PreparedQuery
from mailproto.imap import (
    AuthMode,
    ImapCredentials,
)
from mailproto.imap.summaries import SUSPECT_PATIENT

from ..certificate_store import mailbox_certificate_pem
from ..endpoints import mailbox_imap_endpoint as mailbox_imap_endpoint
from ..models import SENDER_SORT_KEY, Delegation, Folder, Mailbox, MessageSummary

logger = logging.getLogger(__name__)


def delegations_in_force(*, today: dt.date | None = None) -> QuerySet[Delegation]:
    """Every delegation in force today (first and last days included)."""
    today = today or timezone.localdate()
    return Delegation.objects.filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today),
                                     Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def delegation_list_active(*, user: User) -> QuerySet[Delegation]:
    """The user's delegations in force today."""
    return delegations_in_force().filter(user_id=user.pk)


def _mailboxes_of(user_id: int, today: dt.date | None = None) -> QuerySet[Mailbox]:
    """Mailboxes owned by, or delegated in force to, the user; each with the rights of its
    delegation (NULL when owned). One subquery serves both the filter and the column:
    Django compiles each extra expression at a cost above the SQL's own."""
    rights = Subquery(delegations_in_force(today=today).filter(user_id=user_id, mailbox_id=OuterRef("pk"))
                      .order_by().values("rights")[:1], output_field=CharField())
    return (Mailbox.objects.annotate(delegated_rights=rights)
            .filter(Q(owner_id=user_id) | Q(delegated_rights__isnull=False))
            .order_by("-kind", "address"))


def mailbox_open_to(*, user_id: int, mailbox_id: int) -> bool:
    """Whether this active user owns the mailbox or holds a delegation for it in force
    today: what queued work acting for them checks before it logs in (issue 27: a task queued
    by a delegate kept logging in as them after the delegation was revoked)."""
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        return False
    return _mailboxes_of(user_id).filter(pk=mailbox_id).exists()


def mailbox_list_for_user(*, user: User) -> QuerySet[Mailbox]:
    """Mailboxes the user owns or holds a delegation in force for, each with its
    ``delegated_rights`` (None when owned: an owner is never a delegate, ``Delegation.clean``);
    PER, ORG, CAB, APP: personal first. A queryset, to filter further; every page's own
    read is ``mailboxes_for_user``."""
    return _mailboxes_of(user.pk)


_USER_MAILBOXES: PreparedQuery[Mailbox] = PreparedQuery(
    lambda user_id, today: _mailboxes_of(user_id, today), params={"user_id": int}, daily=True)
_MAILBOX_FOLDERS: PreparedQuery[Folder] = PreparedQuery(
    lambda mailbox_id: Folder.objects.filter(mailbox_id=mailbox_id).order_by("pk"),
    params={"mailbox_id": int})
_FOLDER: PreparedQuery[Folder] = PreparedQuery(
    lambda mailbox_id, folder_id: Folder.objects.filter(mailbox_id=mailbox_id, pk=folder_id)[:1],
    params={"mailbox_id": int, "folder_id": int})
_SUMMARY: PreparedQuery[MessageSummary] = PreparedQuery(
    lambda folder_id, uid: MessageSummary.objects.filter(folder_id=folder_id, uid=uid)[:1],
    params={"folder_id": int, "uid": int})
_THREAD: PreparedQuery[MessageSummary] = PreparedQuery(
    lambda mailbox_id, thread_key: MessageSummary.objects
    .filter(folder__mailbox_id=mailbox_id, thread_key=thread_key).order_by("date", "uid")[:100],
    params={"mailbox_id": int, "thread_key": str})


def mailboxes_for_user(*, user: User) -> list[Mailbox]:
    """``mailbox_list_for_user`` as a list, from SQL compiled once a day: every page asks
    (read at every request, so a delegation revoked or expired ends at the next page)."""
    return _USER_MAILBOXES.list(user_id=user.pk)


def mailbox_get_for_user(*, user: User, mailbox_id: int) -> Mailbox:
    """Raises Mailbox.DoesNotExist for a mailbox the user may not open."""
    return mailbox_list_for_user(user=user).get(pk=mailbox_id)


def folder_get(*, mailbox: Mailbox, folder_id: int) -> Folder | None:
    """A folder of this mailbox (the caller checked the mailbox is the user's), or None."""
    folder = _FOLDER.first(mailbox_id=mailbox.pk, folder_id=folder_id)
    if folder is not None:
        folder.mailbox = mailbox
    return folder


def message_from_patient_get(*, folder: Folder, uid: int) -> MessageSummary | None:
    """The row of a message a patient sent (its From an INS address), or None."""
    return MessageSummary.objects.filter(folder=folder, uid=uid).exclude(patient_ins="").first()


def folder_inbox_get(*, mailbox: Mailbox) -> Folder | None:
    """The mailbox's INBOX, once a sync has made it."""
    return Folder.objects.filter(mailbox=mailbox, role=Folder.Role.INBOX).first()


def folder_named_get(*, mailbox: Mailbox, name: str) -> Folder | None:
    return Folder.objects.filter(mailbox=mailbox, name=name).first() if name else None


def message_summary_get(*, folder: Folder, uid: int) -> MessageSummary | None:
    """The index row of one message (a reader's every open), or None."""
    summary = _SUMMARY.first(folder_id=folder.pk, uid=uid)
    if summary is not None:
        summary.folder = folder
    return summary


# The folder pane's order (the sync has its own: apps.mail.sync.SYNC_ORDER).
FOLDER_DISPLAY_ORDER = {"inbox": 0, "drafts": 1, "sent": 2, "archive": 3, "": 4, "junk": 5, "trash": 6}


def folder_list(*, mailbox: Mailbox) -> list[Folder]:
    """Special folders first (the brief's order), then the user's own, alphabetically."""
    folders = [f for f in _MAILBOX_FOLDERS.list(mailbox_id=mailbox.pk) if f.selectable]
    for folder in folders:
        folder.mailbox = mailbox
    return sorted(folders, key=lambda f: (FOLDER_DISPLAY_ORDER.get(f.role, 4), f.name.lower()))


PAGE_SIZE = 50
LIST_FIELDS = ("uid", "date", "sender_name", "sender_address", "subject", "size", "seen",
               "flagged", "answered", "has_attachment", "att_pdf", "att_xdm", "att_cda",
               "patient_ins", "thread_key", "folder_id", "unreadable")


LIST_FILTERS = {
    "nonlus": Q(seen=False), "suivis": Q(flagged=True), "pj": Q(has_attachment=True),
    "patients": ~Q(patient_ins=""), "documents": Q(att_xdm=True) | Q(att_cda=True),
}


# Sorts of the list: (order, keyset-paginated?). Date sorts walk the (folder, -date, -uid)
# index either way; sender and subject sorts walk their expression indexes (the models'
# message_sender_idx, message_subject_idx: the same expressions), offset pages, capped.
LIST_SORTS: dict[str, tuple[tuple[Any, ...], bool]] = {
    "date": (("-date", "-uid"), True),
    "ancien": (("date", "uid"), True),
    "expediteur": ((SENDER_SORT_KEY.asc(), "-date", "-uid"), False),
    "objet": ((Lower("subject").asc(), "-date", "-uid"), False),
}
MAX_OFFSET = 10_000  # name sorts: beyond 200 pages, search is the better tool
THREAD_MEMBERS_MAX = 5_000  # messages of the conversations on one page, at most


def messages_arrived(*, folder: Folder, after_uid: int, limit: int = PAGE_SIZE) -> list[MessageSummary]:
    """What arrived in ``folder`` since the list showed ``after_uid`` (UIDs only grow), newest
    first: the rows an open list puts at its top."""
    arrived = MessageSummary.objects.filter(folder=folder, uid__gt=after_uid)
    arrived = _patient_rule_pending_hidden(arrived, folder)
    return list(arrived.order_by("-date", "-uid").only(*LIST_FIELDS)[:limit])


def _patient_rule_pending_hidden(query: QuerySet[MessageSummary], folder: Folder) -> QuerySet[MessageSummary]:
    """An INBOX's patients' messages that the patients' rule has not looked at yet are not
    listed: the rule may move them to "à valider" (and if moving fails, they stay unlisted
    until it succeeds). What was there before the rule's first look stays listed."""
    if folder.role != Folder.Role.INBOX or folder.rules_checked_uid is None:
        return query
    return query.exclude(uid__gt=folder.rules_checked_uid, patient_ins__gt="")


def message_page(*, folder: Folder, before: tuple[dt.datetime, int] | None = None,
                 limit: int = PAGE_SIZE, only: str = "", sort: str = "date", offset: int = 0,
                 threads: bool = False) -> list[MessageSummary]:
    """One page of the list.

    Newest first by default, keyset-paginated (``before`` is the last row shown, "after" for
    the oldest-first sort): served by the (folder, -date, -uid) index, the same cost at
    message 50 as at message 99,950. Sender and subject sorts page by ``offset``.
    ``only`` narrows to unread, flagged, with attachment, from patients or documents.
    ``threads`` shows each conversation once, by its latest message in the folder (an
    index probe per row on (folder, thread_key)), with ``thread_size`` and
    ``thread_unread`` set on every row."""
    order, keyset = LIST_SORTS.get(sort, LIST_SORTS["date"])
    query = _patient_rule_pending_hidden(MessageSummary.objects.filter(folder=folder), folder)
    if only in LIST_FILTERS:
        query = query.filter(LIST_FILTERS[only])
    if threads:
        later = MessageSummary.objects.filter(folder=folder, thread_key=OuterRef("thread_key")).filter(
            Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), uid__gt=OuterRef("uid")))
        if only in LIST_FILTERS:
            later = later.filter(LIST_FILTERS[only])
        query = query.filter(~Exists(later))
    if before is not None and keyset:
        date, uid = before
        if sort == "ancien":
            query = query.filter(Q(date__gt=date) | Q(date=date, uid__gt=uid))
        else:
            query = query.filter(Q(date__lt=date) | Q(date=date, uid__lt=uid))
    start = 0 if keyset else max(0, min(offset, MAX_OFFSET))
    rows = list(query.order_by(*order).only(*LIST_FIELDS)[start:start + limit])
    if threads and rows:
        members: dict[str, list[tuple[int, bool]]] = {}
        for key, uid, seen in (MessageSummary.objects.filter(
                folder=folder, thread_key__in={r.thread_key for r in rows})
                .values_list("thread_key", "uid", "seen")[:THREAD_MEMBERS_MAX]):
            members.setdefault(key, []).append((uid, seen))
        for row in rows:
            found = members.get(row.thread_key) or [(row.uid, row.seen)]
            # Actions on a conversation row act on all its messages in this folder.
            row.thread_uids = ",".join(str(uid) for uid, _ in found)  # type: ignore[attr-defined]
            row.thread_size = len(found)  # type: ignore[attr-defined]
            row.thread_unread = sum(1 for _, seen in found if not seen)  # type: ignore[attr-defined]
    return rows


def thread_messages(*, mailbox: Mailbox, thread_key: str) -> list[MessageSummary]:
    """Every message of a conversation in the mailbox, whatever its folder (replies sent
    are in Sent), oldest first; at most 100."""
    rows = _THREAD.list(mailbox_id=mailbox.pk, thread_key=thread_key)
    if len(rows) > 1:  # a message alone is no conversation: the reader shows none
        folders = {f.pk: f for f in _MAILBOX_FOLDERS.list(mailbox_id=mailbox.pk)}
        rows = [row for row in rows if row.folder_id in folders]  # a folder deleted meanwhile
        for row in rows:
            row.folder = folders[row.folder_id]
    return rows


def _newest_rows(folder: Folder, count: int) -> QuerySet[MessageSummary]:
    """The folder's ``count`` newest messages (a few more on a tie of dates): a range of the
    list index, so that a scan of unindexed columns stays bounded whatever the folder's size."""
    rows = MessageSummary.objects.filter(folder=folder)
    oldest = list(rows.order_by("-date", "-uid").values_list("date", flat=True)[count - 1:count])
    return rows.filter(date__gte=oldest[0]) if oldest else rows


EXCHANGES_SCANNED = 20_000  # rows read at most per folder, newest first


def messages_exchanged_with(*, mailboxes: Sequence[Mailbox], address: str,
                            limit: int = 50) -> list[MessageSummary]:
    """Messages from or to one correspondent (a patient's page), newest first, in every
    folder of the mailboxes. The recipients column has no index: each folder's newest
    EXCHANGES_SCANNED rows are read, a range of the list index."""
    address = address.lower()
    if not address or not mailboxes:
        return []
    found: list[MessageSummary] = []
    for folder in Folder.objects.filter(mailbox__in=mailboxes, selectable=True).select_related("mailbox"):
        rows = (_newest_rows(folder, EXCHANGES_SCANNED)
                .filter(Q(sender_address=address) | Q(recipients__contains=address))
                .order_by("-date", "-uid").only(*LIST_FIELDS, "recipients")[:limit])
        for row in rows:
            # "contains" also matches a longer address ending the same: keep whole ones.
            if row.sender_address == address or address in row.recipients.split():
                row.folder = folder
                found.append(row)
    found.sort(key=lambda row: (row.date, row.uid), reverse=True)
    return found[:limit]


DOCUMENTS_SCANNED = 20_000  # rows read at most per folder, newest first


def messages_naming_patient(*, mailboxes: Sequence[Mailbox], subject_part: str,
                            limit: int = 12) -> list[MessageSummary]:
    """Messages carrying health documents whose subject names a patient as the MSSanté
    convention writes it ("… DUPONT Jeanne 28/03/1979"), newest first, in every folder of
    the mailboxes: candidates only (the caller checks the INS in each document). Each
    folder's newest DOCUMENTS_SCANNED rows are read, a range of the list index."""
    if not subject_part.strip() or not mailboxes:
        return []
    found: list[MessageSummary] = []
    for folder in Folder.objects.filter(mailbox__in=mailboxes, selectable=True).select_related("mailbox"):
        rows = (_newest_rows(folder, DOCUMENTS_SCANNED)
                .filter(Q(att_xdm=True) | Q(att_cda=True), subject__icontains=subject_part)
                .order_by("-date", "-uid").only(*LIST_FIELDS)[:limit])
        for row in rows:
            row.folder = folder
            found.append(row)
    found.sort(key=lambda row: (row.date, row.uid), reverse=True)
    return found[:limit]


@dataclass(frozen=True)
class Correspondent:
    address: str
    name: str
    patient_ins: str  # set when the address is a patient's (Mon espace santé)


RECENT_ROWS = 3000  # "recent": the newest messages of each INBOX and Sent folder


def correspondents_search(*, mailboxes: Sequence[Mailbox], query: str,
                          limit: int = 5) -> list[Correspondent]:
    """People the user recently exchanged with whose name or address contains ``query``:
    senders of received mail and recipients of sent mail, newest first, patients included
    (with their INS). Called at every pause in typing, so bounded: only the RECENT_ROWS
    newest messages of each INBOX and Sent folder are read (a range of the list index),
    whatever the size of the mailbox."""
    words = query.strip()
    if len(words) < 2 or not mailboxes:
        return []
    matching = (Q(sender_name__icontains=words) | Q(sender_address__icontains=words)
                | Q(to_display__icontains=words))
    rows: list[tuple[Any, ...]] = []
    for folder in Folder.objects.filter(mailbox__in=mailboxes,
                                        role__in=[Folder.Role.INBOX, Folder.Role.SENT]):
        recent = _newest_rows(folder, RECENT_ROWS).filter(matching).order_by("-date")
        rows += [(*row, folder.role) for row in recent.values_list(
            "date", "sender_name", "sender_address", "patient_ins", "to_display")[:100]]
    rows.sort(key=lambda row: row[0], reverse=True)
    own = {m.address for m in mailboxes}
    found: dict[str, Correspondent] = {}
    needle = words.lower()
    for _date, sender_name, sender_address, patient_ins, to_display, role in rows:
        if patient_ins == SUSPECT_PATIENT:
            continue  # not a patient one may write to, nor a colleague: never suggested
        candidates = [(sender_name, sender_address, patient_ins)]
        if role == Folder.Role.SENT or sender_address in own:
            candidates = [(name, address, "") for name, address in
                          (email.utils.parseaddr(part) for part in to_display.split(","))]
        for name, address, ins in candidates:
            address = address.lower()
            if (address and address not in own and address not in found
                    and (needle in address or needle in name.lower())):
                found[address] = Correspondent(address, name, ins)
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


def mailbox_primary_for_user(*, user: User) -> Mailbox:
    mailbox = mailbox_list_for_user(user=user).first()
    if mailbox is None:
        raise NoMailbox(f"user {user.pk} has no mailbox")
    return mailbox


def mailbox_imap_credentials(*, mailbox: Mailbox, access_token: str | None,
                             delegate_idnat: str = "") -> ImapCredentials:
    if mailbox.auth_mode == Mailbox.AuthMode.CLIENT_CERTIFICATE:
        # An uploaded certificate (encrypted in the database) first, else PEM files the
        # operator mounted (MSSANTE_CLIENT_CERT_DIR, the devstack's).
        return ImapCredentials(username=mailbox.address, mode=AuthMode.EXTERNAL,
                               cert_pem=mailbox_certificate_pem(mailbox=mailbox),
                               cert_file=mailbox.client_cert_file or None,
                               key_file=mailbox.client_key_file or None)
    if mailbox.auth_mode == Mailbox.AuthMode.PASSWORD:
        return ImapCredentials(username=mailbox.address, mode=AuthMode.PLAIN,
                               secret=settings.MSSANTE_DEVSTACK_PASSWORD)
    # A delegate logs in to the shared mailbox with their own token; operators that key
    # the login name on who asks get it in the form they set (the devstack: <mailbox>*<idNat>).
    username = (settings.MSSANTE_DELEGATE_LOGIN.format(mailbox=mailbox.address, idnat=delegate_idnat)
                if delegate_idnat else mailbox.address)
    return ImapCredentials(username=username, mode=AuthMode.XOAUTH2, secret=access_token or "")


from .search import message_search as message_search  # noqa: E402 - the index search, a concern of its own
