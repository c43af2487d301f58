"""Actions on messages: read/unread, flag, archive, junk, delete, move; one or many. And
the user's own folders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.mail.services import folder_create
from mailproto.identifiers import ascii_digits

from .access import request_audit, request_folder, request_mail_access, request_mailbox
from .errors import mail_errors
from .forms import local_url, selected_uids
from .selectors import message_ids_of
from .services import folder_manage_apply, folder_name_available, message_action_apply

# The buttons the audit trail records (one event per press, however many messages).
AUDITED_ACTIONS = {"move": "message_moved", "archive": "message_moved", "junk": "message_moved",
                   "delete": "message_deleted"}
MARKS = ("read", "unread", "flag", "unflag")


@login_required
@require_POST
@mail_errors
def message_action(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    action = request.POST.get("action", "")
    # Marks (read, flagged) are the team's shared state; a read-only delegate may set them.
    mailbox = request_mailbox(request, mailbox_id, write=action not in MARKS)
    folder = request_folder(mailbox, folder_id)
    uids = selected_uids(request.POST.getlist("uid"))
    if not uids:
        messages.info(request, _("Select at least one message."))
        return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)
    destination = request.POST.get("destination", "")
    if action == "move" and not destination:  # the menu left on its prompt
        messages.info(request, _("Choose the folder to move to."))
        return redirect(local_url(request.POST.get("next", "")) or reverse(
            "webmail:folder", kwargs={"mailbox_id": mailbox.pk, "folder_id": folder.pk}))
    audited = AUDITED_ACTIONS.get(action)
    targets = message_ids_of(folder=folder, uids=uids) if audited else []
    try:
        done = message_action_apply(access=request_mail_access(request, mailbox), folder=folder,
                                    uids=uids, action=action,
                                    destination_id=int(destination) if ascii_digits(destination) else None)
    except LookupError:
        raise Http404("action") from None
    if audited:
        request_audit(request, event=audited, mailbox=mailbox, target=targets[0] if len(targets) == 1 else "",
                      folder=folder.name, action=action, count=len(uids), message_ids=targets[:100])
    if done:
        messages.success(request, done)
    back = local_url(request.POST.get("next", "")) if action in MARKS else ""
    if back:
        return redirect(back)
    return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)


@login_required
@require_POST
@mail_errors
def folder_manage(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Create, rename or delete one of the user's own folders; empty the Trash or Junk."""
    mailbox = request_mailbox(request, mailbox_id, write=True)
    access = request_mail_access(request, mailbox)
    action, name = request.POST.get("action", ""), request.POST.get("name", "").strip()
    if action == "create":
        if not folder_name_available(access=access, name=name):
            messages.error(request, _("Choose another folder name (no / \\\\ % * or quotes)."))
            return redirect("webmail:inbox")
        return redirect("webmail:folder", mailbox_id=mailbox.pk,
                        folder_id=folder_create(access=access, name=name).pk)
    folder_id = request.POST.get("folder", "")
    folder = request_folder(mailbox, int(folder_id) if ascii_digits(folder_id) else 0)
    try:
        done = folder_manage_apply(access=access, folder=folder, action=action, name=name)
    except LookupError:
        raise Http404("action") from None
    if done:
        messages.success(request, done)
    if action == "delete":
        return redirect("webmail:inbox")
    return redirect("webmail:folder", mailbox_id=mailbox.pk, folder_id=folder.pk)

