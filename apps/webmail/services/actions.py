"""What the list's and the reader's buttons do: read/unread, flag, archive, junk, delete,
move, on one message or many; and the user's own folders. Each returns what to tell the
user ("" for nothing), and raises ``LookupError`` for an action or target that does not
exist (the page answers 404)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.translation import gettext as _

from apps.mail.models import Folder
from apps.mail.services import (
    MailAccess,
    folder_delete,
    folder_empty,
    folder_rename,
    message_expunge,
    message_flag_set,
    message_move,
)

ROLE_TARGETS = {"archive": Folder.Role.ARCHIVE, "junk": Folder.Role.JUNK, "delete": Folder.Role.TRASH}
FLAG_ACTIONS = {"read": ("seen", True), "unread": ("seen", False),
                "flag": ("flagged", True), "unflag": ("flagged", False)}
FOLDER_NAME = re.compile(r"^[^/\\\\%*\"\x00-\x1f]{1,100}$")


def message_action_apply(*, access: MailAccess, folder: Folder, uids: Sequence[int], action: str,
                         destination_id: int | None = None) -> str:
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
    return bool(FOLDER_NAME.match(name)) and not Folder.objects.filter(
        mailbox=access.mailbox, name=name).exists()


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

