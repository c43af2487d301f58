"""The user's own settings: signatures, senders whose remote images are shown."""

from __future__ import annotations

from apps.accounts.models import User
from apps.mail.models import ImageSender, Mailbox, Signature


def signature_set(*, user: User, mailbox: Mailbox, text: str) -> None:
    """Stores (or clears) the user's signature for a mailbox; trailing blanks dropped and
    the usual "-- " delimiter left to the compose page."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip("\n").split("\n"))
    if text.startswith("-- \n") or text.startswith("--\n"):
        text = text.split("\n", 1)[1]
    Signature.objects.update_or_create(user=user, mailbox=mailbox, defaults={"text": text[:2000]})


def image_sender_add(*, user: User, address: str) -> None:
    if address:
        ImageSender.objects.get_or_create(user=user, address=address.lower()[:254])


def image_sender_remove(*, user: User, address: str) -> None:
    ImageSender.objects.filter(user=user, address=address.lower()).delete()
