"""Reads of the webmail's own settings."""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.models import User
from apps.mail.models import Mailbox

from .models import ImageSender, Signature


def signatures_for_user(*, user: User, mailboxes: Iterable[Mailbox]) -> dict[int, str]:
    """{mailbox id: signature} for the given mailboxes ("" when none is set)."""
    ids = [m.pk for m in mailboxes]
    found = dict(Signature.objects.filter(user=user, mailbox_id__in=ids).values_list("mailbox_id", "text"))
    return {pk: found.get(pk, "") for pk in ids}


def image_sender_trusted(*, user: User, address: str) -> bool:
    return bool(address) and ImageSender.objects.filter(user=user, address=address.lower()).exists()


def image_senders_list(*, user: User) -> list[ImageSender]:
    return list(ImageSender.objects.filter(user=user))
