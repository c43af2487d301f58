"""Folders the user manages: created, renamed, deleted on the server, then in the index."""

from __future__ import annotations

from django.db import transaction

from ..engine.access import MailAccess, mailbox_session
from ..models import Folder, MessageSummary
from .messages import folder_counts_refresh


def folder_create(*, access: MailAccess, name: str) -> Folder:
    with mailbox_session(access=access) as session:
        session.create_folder(name)
    return Folder.objects.create(mailbox=access.mailbox, name=name, delimiter="/", selectable=True)


def folder_rename(*, access: MailAccess, folder: Folder, name: str) -> None:
    if folder.role:
        raise ValueError("special folders keep their name")
    with mailbox_session(access=access) as session:
        session.rename_folder(folder.name, name)
    Folder.objects.filter(pk=folder.pk).update(name=name)


def folder_delete(*, access: MailAccess, folder: Folder) -> None:
    if folder.role:
        raise ValueError("special folders cannot be deleted")
    with mailbox_session(access=access) as session:
        session.delete_folder(folder.name)
    folder.delete()


def folder_empty(*, access: MailAccess, folder: Folder) -> int:
    """Empty the Trash or Junk for good."""
    if folder.role not in (Folder.Role.TRASH, Folder.Role.JUNK):
        raise ValueError("only the Trash and Junk are emptied")
    with mailbox_session(access=access) as session:
        session.examine(folder.name)
        uids = session.uids()
        if uids:
            session.expunge(folder.name, uids)
    with transaction.atomic():
        removed, _ = MessageSummary.objects.filter(folder=folder).delete()
        folder_counts_refresh(folder=folder)
    return removed
