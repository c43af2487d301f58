"""At sign-in: the mailboxes the directory lists under the person's idNat become theirs,
and a worker starts syncing them while the page loads."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from apps.mail.selectors import mailbox_list_for_user
from apps.mail.services import mailbox_sync_enqueue

from .services.directory_link import mailboxes_from_directory_link, structure_mailboxes_from_directory_link


@receiver(user_logged_in)
def sync_at_sign_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if not getattr(user, "idnat", None):
        return  # staff password sign-in to the admin
    mailboxes_from_directory_link(user=user)  # the directory's PER mailboxes of this idNat
    structure_mailboxes_from_directory_link(user=user)  # an administrator's structures' ORG ones
    # The worker reads the PSC tokens from the stored session: store it before queueing.
    request.session.save()
    for mailbox in mailbox_list_for_user(user=user):
        mailbox_sync_enqueue(mailbox=mailbox, session_key=request.session.session_key,
                             despite_backoff=True)
