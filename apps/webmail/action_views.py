"""Actions on messages: read/unread, flag, archive, junk, delete, move; one or many."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, SessionExpired
from apps.mail.models import Folder
from apps.mail.services import message_expunge, message_flag_set, message_move

from .views import _error_page, _mailbox, _token_provider

logger = logging.getLogger(__name__)
ROLE_TARGETS = {"archive": Folder.Role.ARCHIVE, "junk": Folder.Role.JUNK, "delete": Folder.Role.TRASH}


@login_required
@require_POST
def message_action(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    mailbox = _mailbox(request, mailbox_id)
    folder = Folder.objects.filter(mailbox=mailbox, pk=folder_id).first()
    if folder is None:
        raise Http404("folder")
    try:
        uids = sorted({int(u) for u in request.POST.getlist("uid")})
    except ValueError:
        raise Http404("uid") from None
    action = request.POST.get("action", "")
    back = request.POST.get("next", "")
    if not uids:
        messages.info(request, _("Select at least one message."))
        return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)
    provider = _token_provider(request)
    try:
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
    except SessionExpired as exc:
        return _error_page(request, exc, 401)
    except ApplicationError as exc:
        return _error_page(request, exc, 503)
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)
