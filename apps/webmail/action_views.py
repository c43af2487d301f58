"""Actions on messages: read/unread, flag, archive, junk, delete, move; one or many. And
the user's own folders. Each is one flow (``flows.actions``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.flows.actions import folder_manage_run, message_action_run
from mailproto.identifiers import ascii_digits

from .access import request_actor
from .errors import mail_errors
from .forms import local_url, selected_uids


@login_required
@require_POST
@mail_errors
def message_action(request: HttpRequest, mailbox_id: int, folder_id: int) -> HttpResponse:
    post = request.POST
    done = message_action_run(actor=request_actor(request), mailbox_id=mailbox_id, folder_id=folder_id,
                              uids=selected_uids(post.getlist("uid")), action=post.get("action", ""),
                              destination=post.get("destination", ""))
    if done.said or done.notice:
        messages.add_message(request, messages.SUCCESS if done.said else messages.INFO,
                             done.said or done.notice)
    back = local_url(post.get("next", "")) if done.to_next else ""
    return redirect(back or reverse("webmail:folder", args=[mailbox_id, folder_id]))


@login_required
@require_POST
@mail_errors
def folder_manage(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Create, rename or delete one of the user's own folders; empty the Trash or Junk."""
    post, folder_id = request.POST, request.POST.get("folder", "")
    managed = folder_manage_run(actor=request_actor(request), mailbox_id=mailbox_id,
                                action=post.get("action", ""), name=post.get("name", "").strip(),
                                folder_id=int(folder_id) if ascii_digits(folder_id) else 0)
    if managed.error or managed.done:
        messages.add_message(request, messages.ERROR if managed.error else messages.SUCCESS,
                             managed.error or managed.done)
    if managed.folder_id is None:
        return redirect("webmail:inbox")
    return redirect("webmail:folder", mailbox_id=managed.mailbox_id, folder_id=managed.folder_id)
