"""What the people reading a linked mailbox see of the hand-over, on the received message."""

from __future__ import annotations

from dataclasses import dataclass

from apps.mail.models import Mailbox, MessageSummary

from .models import DocumentDelivery, HandedMessage


@dataclass(frozen=True)
class HandOver:
    software: str
    documents: list[DocumentDelivery]
    message_pk: int

    @property
    def pending(self) -> bool:
        return any(d.state == DocumentDelivery.State.PENDING for d in self.documents)

    @property
    def refused(self) -> bool:
        return any(d.state == DocumentDelivery.State.REFUSED for d in self.documents)


def hand_over_of(*, mailbox: Mailbox, summary: MessageSummary) -> HandOver | None:
    """The documents of this received message handed to the mailbox's business software, or
    None. Asked only for a structure's mailbox and a message with a package: no query on the
    other pages."""
    message_id = summary.message_id
    if not (summary.att_xdm and message_id and mailbox.kind in (Mailbox.Kind.APPLICATION,
                                                                  Mailbox.Kind.ORGANISATIONAL)):
        return None
    handed = (HandedMessage.objects.filter(endpoint__mailbox=mailbox, message_id=message_id)
              .select_related("endpoint").prefetch_related("documents").first())
    if handed is None:
        return None
    return HandOver(software=handed.endpoint.software, documents=list(handed.documents.all()),
                    message_pk=handed.pk)
