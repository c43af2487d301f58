"""What the list's and the reader's buttons do: read/unread, flag, archive, junk, delete,
move, on one message or many; and the user's own folders. Each returns what to tell the
user ("" for nothing), and raises ``LookupError`` for an action or target that does not
exist (the page answers 404)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.core.errors import NotFound
from apps.mail.models import Folder
from apps.mail.services import (
    MailAccess,
    folder_create,
    folder_delete,
    folder_empty,
    folder_rename,
    message_expunge,
    message_flag_set,
    message_move,
)
from mailproto.identifiers import ascii_digits

from .actor import Actor, actor_access, actor_audit, actor_folder, actor_mailbox, folder_of
from .selectors import message_ids_of

ROLE_TARGETS = {"archive": Folder.Role.ARCHIVE, "junk": Folder.Role.JUNK, "delete": Folder.Role.TRASH}
FLAG_ACTIONS = {
    "read": ("seen", True),
    "unread": ("seen", False),
    "flag": ("flagged", True),
    "unflag": ("flagged", False),
}
FOLDER_NAME = re.compile(r"^[^/\\\\%*\"\x00-\x1f]{1,100}$")
# The buttons the audit trail records (one event per press, however many messages).
AUDITED_ACTIONS = {
    "move": "message_moved",
    "archive": "message_moved",
    "junk": "message_moved",
    "delete": "message_deleted",
    "read": "message_marked",
    "unread": "message_marked",
    "flag": "message_marked",
    "unflag": "message_marked",
}
MARKS = ("read", "unread", "flag", "unflag")  # the team's shared state: a read-only delegate may set them


def message_action_apply(
    *, access: MailAccess, folder: Folder, uids: Sequence[int], action: str, destination_id: int | None = None
) -> str:
    """Apply a button to ``uids`` of ``folder``. Deleting from the Trash deletes for good."""
    if action in FLAG_ACTIONS:
        flag, value = FLAG_ACTIONS[action]
        message_flag_set(access=access, folder=folder, uids=uids, flag=flag, value=value)
        return ""
    if action == "delete" and folder.role == Folder.Role.TRASH:
        message_expunge(access=access, folder=folder, uids=uids)
        return _("Deleted for good.")
    if action == "move":
        target = Folder.objects.filter(mailbox=folder.mailbox_id, pk=destination_id or 0).first()
    elif action in ROLE_TARGETS:
        target = Folder.objects.filter(mailbox=folder.mailbox_id, role=ROLE_TARGETS[action]).first()
    else:
        raise LookupError(f"action {action!r}")
    if target is None or target.pk == folder.pk:
        raise LookupError("destination")
    message_move(access=access, folder=folder, uids=uids, destination=target)
    return _("Moved to %(folder)s.") % {"folder": target.label}


def folder_name_available(*, access: MailAccess, name: str) -> bool:
    """A name the server accepts (no hierarchy separator, wildcard or quote) and not taken."""
    return (
        bool(FOLDER_NAME.match(name))
        and not Folder.objects.filter(mailbox=access.mailbox, name=name).exists()
    )


def folder_manage_apply(*, access: MailAccess, folder: Folder, action: str, name: str = "") -> str:
    """Rename or delete one of the user's own folders, or empty the Trash or Junk."""
    if action == "rename" and not folder.role and FOLDER_NAME.match(name):
        folder_rename(access=access, folder=folder, name=name)
        return ""
    if action == "delete" and not folder.role:
        folder_delete(access=access, folder=folder)
        return _("Folder deleted.")
    if action == "empty" and folder.role in (Folder.Role.TRASH, Folder.Role.JUNK):
        folder_empty(access=access, folder=folder)
        return _("Emptied.")
    raise LookupError(f"folder action {action!r}")


@dataclass(frozen=True)
class ActionDone:
    said: str = ""  # what was done, for the user
    notice: str = ""  # nothing done, and why (no selection; the move menu left on its prompt)
    to_next: bool = False  # back to the page the button was on rather than the folder


def message_action_run(
    *, actor: Actor, mailbox_id: int, folder_id: int, uids: Sequence[int], action: str, destination: str = ""
) -> ActionDone:
    """A button pressed on ``uids`` (``message_action_apply``), audited when it moves or
    deletes; ``NotFound`` for an action or destination that does not exist."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id, write=action not in MARKS)
    if not uids:
        return ActionDone(notice=_("Select at least one message."))
    if action == "move" and not destination:
        return ActionDone(notice=_("Choose the folder to move to."), to_next=True)
    audited = AUDITED_ACTIONS.get(action)
    targets = message_ids_of(folder=folder, uids=list(uids)) if audited else []
    try:
        done = message_action_apply(
            access=actor_access(actor, mailbox),
            folder=folder,
            uids=uids,
            action=action,
            destination_id=int(destination) if ascii_digits(destination) else None,
        )
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    if audited:
        actor_audit(
            actor,
            event=audited,
            mailbox=mailbox,
            target=targets[0] if len(targets) == 1 else "",
            folder=folder.name,
            action=action,
            count=len(uids),
            message_ids=targets[:100],
        )
    return ActionDone(said=done, to_next=action in MARKS)


@dataclass(frozen=True)
class FolderManaged:
    mailbox_id: int
    folder_id: int | None  # the folder to show next (None: the INBOX)
    done: str = ""  # said to the user
    error: str = ""


def folder_manage_run(
    *, actor: Actor, mailbox_id: int, action: str, name: str, folder_id: int
) -> FolderManaged:
    """Create, rename or delete one of the user's own folders; empty the Trash or Junk."""
    mailbox = actor_mailbox(actor, mailbox_id, write=True)
    access = actor_access(actor, mailbox)
    if action == "create":
        if not folder_name_available(access=access, name=name):
            return FolderManaged(
                mailbox.pk, None, error=_("Choose another folder name (no / \\\\ % * or quotes).")
            )
        created = folder_create(access=access, name=name)
        actor_audit(actor, event="folder_changed", mailbox=mailbox, target=name, action=action)
        return FolderManaged(mailbox.pk, created.pk)
    folder = folder_of(mailbox, folder_id)
    former = folder.name
    try:
        done = folder_manage_apply(access=access, folder=folder, action=action, name=name)
    except LookupError as exc:
        raise NotFound(str(exc)) from None
    actor_audit(actor, event="folder_changed", mailbox=mailbox, target=former, action=action,
                **({"new_name": name} if action == "rename" else {}))
    return FolderManaged(mailbox.pk, None if action == "delete" else folder.pk, done=done)
