"""Who acts, as every flow receives it: the signed-in user, the session holding their PSC
tokens, where the request came from, and whether the person opened the page (the only
case in which a read is recorded). A page builds one from its request
(``apps.webmail.access.request_actor``); an API call will build one from its token. The
flows resolve the mailbox and folder a URL names through it, so that what a user may open
is decided in one place, whoever calls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from apps.accounts.models import User
from apps.audit.services import audit_log
from apps.core.errors import NotFound, ReadOnlyMailbox
from apps.mail.models import Folder, Mailbox
from apps.mail.selectors import folder_get, folder_list, mailboxes_for_user
from apps.mail.services import MailAccess, mail_access_for_request

logger = logging.getLogger(__name__)


@dataclass
class Actor:
    user: User
    session: SessionBase
    client_ip: str = ""
    page_load: bool = False  # Sec-Fetch-Dest document or iframe, no prefetch (issue 27)
    _mailboxes: list[Mailbox] | None = field(default=None, repr=False)

    @property
    def idnat(self) -> str:
        return getattr(self.user, "idnat", "") or ""

    @property
    def session_key(self) -> str | None:
        """The stored session's key, for work queued for this user: a worker reads the PSC
        tokens from the stored session, so it is saved first."""
        self.session.save()
        return self.session.session_key


def actor_mailboxes(actor: Actor) -> list[Mailbox]:
    """All the actor's mailboxes (own and delegated, with their rights), read once: a
    page's mailbox and its folder pane's list come from one query."""
    if actor._mailboxes is None:
        actor._mailboxes = mailboxes_for_user(user=actor.user)
    return actor._mailboxes


def actor_mailbox(actor: Actor, mailbox_id: int, *, write: bool = False) -> Mailbox:
    """One of the actor's mailboxes, else ``NotFound``; ``write``: for sending, moving,
    deleting or settings, which a read-only delegation refuses (``ReadOnlyMailbox``)."""
    mailbox = next((m for m in actor_mailboxes(actor) if m.pk == mailbox_id), None)
    if mailbox is None:
        raise NotFound(f"mailbox {mailbox_id}")
    if write and mailbox.read_only:
        logger.info("read-only delegate %s refused a change on %s", actor.idnat, mailbox.address)
        raise ReadOnlyMailbox(mailbox.address)
    return mailbox


def actor_folder(
    actor: Actor, mailbox_id: int, folder_id: int, *, write: bool = False
) -> tuple[Mailbox, Folder]:
    """One of the actor's mailboxes and one of its folders, else ``NotFound``."""
    mailbox = actor_mailbox(actor, mailbox_id, write=write)
    return mailbox, folder_of(mailbox, folder_id)


def folder_of(mailbox: Mailbox, folder_id: int) -> Folder:
    folder = folder_get(mailbox=mailbox, folder_id=folder_id)
    if folder is None:
        raise NotFound(f"folder {folder_id}")
    return folder


def actor_folders(
    actor: Actor, mailbox_id: int, folder_id: int, *, write: bool = False
) -> tuple[Mailbox, list[Folder], Folder]:
    """The mailbox, its folders (the pane's) and the open one among them."""
    mailbox = actor_mailbox(actor, mailbox_id, write=write)
    folders = folder_list(mailbox=mailbox)
    current = next((f for f in folders if f.pk == folder_id), None)
    if current is None:
        raise NotFound(f"folder {folder_id}")
    return mailbox, folders, current


def actor_access(actor: Actor, mailbox: Mailbox) -> MailAccess:
    """Tokens from the actor's PSC session; connections pooled for the user."""
    return mail_access_for_request(
        mailbox=mailbox, session=actor.session, user_pk=actor.user.pk, actor=actor.idnat
    )


def actor_access_for(actor: Actor) -> Callable[[Mailbox], MailAccess]:
    """For flows that may reach several of the user's mailboxes (a forward's original may
    be in another one)."""
    return lambda mailbox: actor_access(actor, mailbox)


def actor_audit_opened(actor: Actor, *, event: str, mailbox: Mailbox, folder: Folder, uid: int,
                       message_id: str, **details: Any) -> None:
    """A message, or something in it, opened by the person (the caller checked
    ``actor.page_load``): the message named by its Message-ID, else its uid."""
    actor_audit(actor, event=event, mailbox=mailbox, target=message_id or f"uid:{uid}", folder=folder.name,
                **details)


def actor_audit(
    actor: Actor, *, event: str, mailbox: Mailbox, target: str = "", outcome: str = "ok", **details: object
) -> None:
    """An audit event for what the actor did: who (idNat), from where, on which mailbox
    (and its structure), through which delegation if not their own."""
    audit_log(
        event=event,
        actor=actor.idnat or getattr(actor.user, "username", ""),
        mailbox=mailbox.address,
        target=target,
        outcome=outcome,
        structure_id=mailbox.structure_id,
        delegation=getattr(mailbox, "delegated_rights", "") or "",
        client_ip=actor.client_ip,
        **details,
    )
