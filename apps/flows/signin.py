"""A professional's own mailboxes, found at sign-in in the national directory by their
idNat (issue 15): every PER mailbox listed under it becomes theirs, so that a first
sign-in opens the mailbox instead of "Aucune boîte". The directory lists every MSSanté
mailbox, RPPS+ social professionals' included. A structure administrator's sign-in also
brings their structures' organisational mailboxes, which they then delegate. Then a worker
starts syncing them while the page loads (``sync_at_sign_in``, connected by the app)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import HttpRequest

from apps.accounts.models import User
from apps.mail.models import Mailbox
from apps.mail.selectors import mailbox_list_for_user
from apps.mail.services import mailbox_sync_enqueue
from apps.structures.models import Structure
from apps.structures.selectors import structure_ids_administered
from apps.trust.models import DirectoryEntry

logger = logging.getLogger(__name__)


def mailboxes_from_directory_link(*, user: User) -> list[str]:
    """Link the PER mailboxes the directory lists under the user's idNat; returns their
    addresses. A mailbox another person already owns is left alone (logged: the directory
    and the site disagree, an operator looks)."""
    if not user.idnat:
        return []
    linked = []
    for address in DirectoryEntry.objects.filter(idnat=user.idnat, mailbox_type=Mailbox.Kind.PERSONAL) \
            .values_list("address", flat=True):
        address = address.lower()
        try:
            with transaction.atomic():
                mailbox, created = Mailbox.objects.get_or_create(address=address, defaults={
                    "owner": user, "kind": Mailbox.Kind.PERSONAL, "auth_mode": Mailbox.AuthMode.PSC_XOAUTH2})
        except IntegrityError:  # created meanwhile by a second sign-in of the same person
            mailbox, created = Mailbox.objects.get(address=address), False
        if not created and mailbox.owner_id is None:
            Mailbox.objects.filter(pk=mailbox.pk, owner__isnull=True).update(owner=user)
        elif not created and mailbox.owner_id != user.pk:
            logger.warning("directory lists %s under idNat %s, but another user owns it", address, user.idnat)
            continue
        if created:
            logger.info("mailbox %s linked to %s from the directory", address, user.idnat)
        linked.append(address)
    return linked


SHARED_KINDS = (Mailbox.Kind.ORGANISATIONAL, Mailbox.Kind.CABINET)


def structure_mailboxes_from_directory_link(*, user: User) -> list[str]:
    """The ORG and CAB mailboxes the directory lists under the structures the user
    administers (matched by FINESS or SIRET) become those structures' mailboxes, ownerless,
    ready to be delegated in the admin. Returns the addresses added or attached."""
    found = []
    for structure in Structure.objects.filter(pk__in=structure_ids_administered(user=user)):
        ref = f"{structure.identifier_type}:{structure.identifier}"
        for address, kind in DirectoryEntry.objects.filter(structure_ref=ref, mailbox_type__in=SHARED_KINDS) \
                .values_list("address", "mailbox_type"):
            mailbox, created = Mailbox.objects.get_or_create(address=address.lower(), defaults={
                "kind": kind, "structure": structure, "auth_mode": Mailbox.AuthMode.PSC_XOAUTH2})
            attached = created or Mailbox.objects.filter(pk=mailbox.pk, structure__isnull=True).update(
                structure=structure)
            if attached:
                logger.info("mailbox %s offered to structure %s from the directory", mailbox.address,
                            structure.pk)
                found.append(mailbox.address)
    return found


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
