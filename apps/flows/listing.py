"""The lists' use cases: a mailbox opened on its INBOX (its first screen synced inline when
never synced), a folder's page of messages, the poll that says what arrived, the pane's
"Réessayer", and search (the local index, bodies included once indexed, and the server's
own search on request)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from apps.core.errors import ApplicationError, MailServerUnavailable, SessionExpired
from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors import (
    folder_inbox_get,
    folder_list,
    folder_named_get,
    mailbox_primary_for_user,
    message_page,
    message_search,
    messages_arrived,
)
from apps.mail.services import mailbox_first_screen, mailbox_sync, mailbox_sync_enqueue, message_body_search
from apps.mail.sync import TUNING

from .actor import Actor, actor_access, actor_folders, actor_mailbox
from .selectors import ListPage, list_page_get, patients_named, senders_outside_trust

logger = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(seconds=30)


def inbox_open(*, actor: Actor, mailbox_id: int | None = None) -> tuple[int, int]:
    """The (mailbox, folder) ids of a mailbox's INBOX: the actor's primary mailbox, or
    another of theirs. A mailbox never synced gets its first screen inline (the newest
    messages); a worker fetches the rest."""
    mailbox = (
        actor_mailbox(actor, mailbox_id)
        if mailbox_id is not None
        else mailbox_primary_for_user(user=actor.user)
    )
    inbox = folder_inbox_get(mailbox=mailbox)
    if inbox is None:
        mailbox_first_screen(
            access=actor_access(actor, mailbox), only=["INBOX"], initial_limit=TUNING.first_batch
        )
        mailbox_sync_enqueue(mailbox=mailbox, session_key=actor.session.session_key)
        inbox = folder_inbox_get(mailbox=mailbox)
    if inbox is None:
        raise MailServerUnavailable("no INBOX after sync")
    return mailbox.pk, inbox.pk


def _folder_opened(actor: Actor, mailbox_id: int, folder_id: int) -> tuple[Mailbox, list[Folder], Folder]:
    """The mailbox, its folders and the open one; a sync is asked for when it is stale."""
    mailbox, folders, current = actor_folders(actor, mailbox_id, folder_id)
    if current.last_sync_at is None or timezone.now() - current.last_sync_at > STALE_AFTER:
        mailbox_sync_enqueue(mailbox=mailbox, session_key=actor.session.session_key, only=[current.name])
    return mailbox, folders, current


@dataclass(frozen=True)
class FolderPage:
    mailbox: Mailbox
    folders: list[Folder]
    folder: Folder
    page: ListPage
    outside: set[str]  # senders outside the trust space, among those listed
    patients: dict[str, str]  # {INS: name} of the patient senders listed that the user's lists know

    @property
    def move_targets(self) -> list[Folder]:
        return [f for f in self.folders if f.pk != self.folder.pk]


def folder_page_get(
    *,
    actor: Actor,
    mailbox_id: int,
    folder_id: int,
    before: tuple[dt.datetime, int] | None,
    sort: str,
    threads: bool,
    only: str,
    page: str,
) -> FolderPage:
    """One page of a folder's list (``list_page_get``) with its pane."""
    mailbox, folders, current = _folder_opened(actor, mailbox_id, folder_id)
    listed = list_page_get(folder=current, before=before, sort=sort, threads=threads, only=only, page=page)
    return FolderPage(
        mailbox=mailbox,
        folders=folders,
        folder=current,
        page=listed,
        outside=senders_outside_trust(addresses=[m.sender_address for m in listed.messages], folder=current),
        patients=patients_named(user=actor.user, messages=listed.messages),
    )


@dataclass(frozen=True)
class FolderStatus:
    mailbox: Mailbox
    folders: list[Folder]
    folder: Folder
    fresh: bool  # something newer than what the page shows, offered as a link
    arrived: list[MessageSummary]  # or the new rows themselves, for the plain list
    outside: set[str]
    patients: dict[str, str]


def folder_status_get(
    *, actor: Actor, mailbox_id: int, folder_id: int, shown: int, direct: bool
) -> FolderStatus:
    """What the open page's poll needs: folder counts, sync state, and whether new mail
    arrived since ``shown`` (the newest uid it lists); ``direct``: the plain newest-first
    list takes the new rows in place, any other view offers a link."""
    mailbox, folders, current = _folder_opened(actor, mailbox_id, folder_id)
    newest = message_page(folder=current, limit=1)
    fresh = bool(newest and newest[0].uid > shown)
    arrived = messages_arrived(folder=current, after_uid=shown) if fresh and direct else []
    return FolderStatus(
        mailbox=mailbox,
        folders=folders,
        folder=current,
        fresh=fresh and not arrived,
        arrived=arrived,
        outside=senders_outside_trust(addresses=[m.sender_address for m in arrived], folder=current),
        patients=patients_named(user=actor.user, messages=arrived),
    )


def mailbox_sync_now(*, actor: Actor, mailbox_id: int, folder_name: str) -> tuple[int, int] | None:
    """The folder pane's "Réessayer": a sync at once, whatever the backoff (a failure is
    shown by the pane; an ended session is raised). Returns the (mailbox, folder) ids to
    show: the folder synced, else the INBOX."""
    mailbox = actor_mailbox(actor, mailbox_id)
    try:
        mailbox_sync(
            access=actor_access(actor, mailbox),
            only=[folder_name] if folder_name else None,
            initial_limit=TUNING.first_batch,
        )
    except SessionExpired:
        raise
    except ApplicationError as exc:
        logger.info("manual sync of %s failed: %s", mailbox.address, exc.detail)
    current = folder_named_get(mailbox=mailbox, name=folder_name) or folder_inbox_get(mailbox=mailbox)
    return (mailbox.pk, current.pk) if current is not None else None


@dataclass(frozen=True)
class SearchPage:
    mailbox: Mailbox
    folders: list[Folder]
    results: list[MessageSummary]
    searched: bool
    body_error: bool  # the server's search of bodies failed
    body_index: bool
    folder: None = None
    bodies_pending: bool = False  # headers only so far: the page asks for the texts next


def search_page_get(
    *,
    actor: Actor,
    mailbox_id: int,
    query: str,
    in_bodies: bool,
    has_attachment: bool,
    patient: bool,
    date_from: dt.date | None,
    date_to: dt.date | None,
    as_you_type: bool = False,
) -> SearchPage:
    """Search every folder of a mailbox: the local index (headers, and bodies once
    indexed), and with ``in_bodies`` the operator's server too, for what the body index
    does not hold yet. ``as_you_type``: headers and addresses only, from the summary index
    (a few ms at 100k messages); ``bodies_pending`` then tells the page to ask for the whole
    search, texts included (a few hundred ms), whose results replace these when they come."""
    mailbox = actor_mailbox(actor, mailbox_id)
    bodies = settings.MSSANTE_BODY_INDEX and not as_you_type
    extra = (
        message_body_search(access=actor_access(actor, mailbox), query=query)
        if query and in_bodies and not as_you_type else {}
    )
    searched = bool(len(query) >= 2 or has_attachment or patient or date_from or date_to)
    folders = folder_list(mailbox=mailbox)
    results = (
        message_search(
            mailbox=mailbox,
            query=query,
            extra_uids=extra or {},
            has_attachment=has_attachment,
            patient=patient,
            date_from=date_from,
            date_to=date_to,
            bodies=bodies,
            folders=folders,
        )
        if searched
        else []
    )
    return SearchPage(
        mailbox=mailbox,
        folders=folders,
        results=results,
        searched=searched,
        body_error=extra is None,
        body_index=settings.MSSANTE_BODY_INDEX,
        bodies_pending=as_you_type and bool(query) and (settings.MSSANTE_BODY_INDEX or in_bodies),
    )
