"""Actions on messages: read/unread, flag, archive, junk, delete, move; one or many."""

from __future__ import annotations

import logging
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.mail.models import Folder
from apps.mail.services import (
    folder_create,
    folder_delete,
    folder_empty,
    folder_rename,
    message_expunge,
    message_flag_set,
    message_move,
)

from .views import _mailbox, _token_provider, mail_errors

logger = logging.getLogger(__name__)
ROLE_TARGETS = {"archive": Folder.Role.ARCHIVE, "junk": Folder.Role.JUNK, "delete": Folder.Role.TRASH}


@login_required
@require_POST
@mail_errors
def message_action(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    folder = Folder.objects.filter(mailbox=mailbox, pk=folder_id).first()
    if folder is None:
        raise Http404("folder")
    # A conversation row carries all its messages' uids, comma-separated.
    raw_uids = [u for value in request.POST.getlist("uid") for u in value.split(",")][:5000]
    if not all(u.isdigit() for u in raw_uids):
        raise Http404("uid")
    uids = sorted({int(u) for u in raw_uids})
    action = request.POST.get("action", "")
    back = request.POST.get("next", "")
    if not uids:
        messages.info(request, _("Select at least one message."))
        return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)
    provider = _token_provider(request)
    if action in ("read", "unread"):
        message_flag_set(folder=folder, uids=uids, flag="seen", value=action == "read",
                         token_provider=provider)
    elif action in ("flag", "unflag"):
        message_flag_set(folder=folder, uids=uids, flag="flagged", value=action == "flag",
                         token_provider=provider)
    elif action in ROLE_TARGETS or action == "move":
        if action == "delete" and folder.role == Folder.Role.TRASH:
            message_expunge(folder=folder, uids=uids, token_provider=provider)
            messages.success(request, _("Deleted for good."))
        else:
            if action == "move":
                destination = request.POST.get("destination", "")
                target = Folder.objects.filter(
                    mailbox=mailbox, pk=int(destination) if destination.isdigit() else 0).first()
            else:
                target = Folder.objects.filter(mailbox=mailbox, role=ROLE_TARGETS[action]).first()
            if target is None or target.pk == folder.pk:
                raise Http404("destination")
            message_move(folder=folder, uids=uids, destination=target, token_provider=provider)
            messages.success(request, _("Moved to %(folder)s.") % {
                "folder": target.get_role_display() if target.role else target.name})
        back = ""  # the message is no longer here
    else:
        raise Http404("action")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)


FOLDER_NAME = re.compile(r"^[^/\\\\%*\"\x00-\x1f]{1,100}$")


@login_required
@require_POST
@mail_errors
def folder_manage(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Create, rename or delete one of the user's own folders; empty the Trash or Junk."""
    mailbox = _mailbox(request, mailbox_id)
    action = request.POST.get("action", "")
    name = request.POST.get("name", "").strip()
    folder_id = request.POST.get("folder", "")
    folder = (Folder.objects.filter(mailbox=mailbox, pk=int(folder_id)).first()
              if folder_id.isdigit() else None)
    provider = _token_provider(request)
    if action == "create":
        if not FOLDER_NAME.match(name) or Folder.objects.filter(mailbox=mailbox, name=name).exists():
            messages.error(request, _("Choose another folder name (no / \\\\ % * or quotes)."))
            return redirect("webmail:inbox")
        created = folder_create(mailbox=mailbox, name=name, token_provider=provider)
        return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=created.pk)
    if folder is None:
        raise Http404("folder")
    if action == "rename" and not folder.role and FOLDER_NAME.match(name):
        folder_rename(folder=folder, name=name, token_provider=provider)
    elif action == "delete" and not folder.role:
        folder_delete(folder=folder, token_provider=provider)
        messages.success(request, _("Folder deleted."))
        return redirect("webmail:inbox")
    elif action == "empty" and folder.role in (Folder.Role.TRASH, Folder.Role.JUNK):
        folder_empty(folder=folder, token_provider=provider)
        messages.success(request, _("Emptied."))
    else:
        raise Http404("action")
    return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)
