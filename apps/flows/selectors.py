"""Reads for the pages: a list page with its paging links, and the webmail's own settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from apps.accounts.models import User
from apps.core.prepared import PreparedQuery
from apps.mail.models import Folder, ImageSender, Mailbox, MessageSummary, OutboxMessage, Signature
from apps.mail.selectors import LIST_FILTERS, LIST_SORTS, PAGE_SIZE, mailbox_list_for_user, message_page
from apps.patients.models import Patient
from apps.trust.models import DirectoryEntry
from apps.trust.selectors import RecipientKind, recipients_check
from mailproto.identifiers import ascii_digits


def signatures_for_user(*, user: User, mailboxes: Iterable[Mailbox]) -> dict[int, str]:
    """{mailbox id: signature} for the given mailboxes ("" when none is set)."""
    ids = [m.pk for m in mailboxes]
    found = dict(Signature.objects.filter(user=user, mailbox_id__in=ids).values_list("mailbox_id", "text"))
    return {pk: found.get(pk, "") for pk in ids}


_IMAGE_SENDER: PreparedQuery[ImageSender] = PreparedQuery(
    lambda user_id, address: ImageSender.objects.filter(user_id=user_id, address=address).only("pk")[:1],
    params={"user_id": int, "address": str})


def image_sender_trusted(*, user: User, address: str) -> bool:
    """Whether this sender's remote images are always shown to the user (asked at every
    open of a message with some)."""
    return bool(address) and _IMAGE_SENDER.first(user_id=user.pk, address=address.lower()) is not None


def image_senders_list(*, user: User) -> list[ImageSender]:
    return list(ImageSender.objects.filter(user=user))


@dataclass(frozen=True)
class ListPage:
    messages: list[MessageSummary]
    number: int  # 1 for the first page (name sorts page by number)
    only: str  # the filter applied ("" for all)
    next_page: str | None  # the query string of the next page, if any

    @property
    def newest_uid(self) -> int:
        """The newest message shown: the page's poll says when something newer arrives."""
        return max((m.uid for m in self.messages), default=0)


def list_page_get(*, folder: Folder, before: tuple[dt.datetime, int] | None, sort: str,
                  threads: bool, only: str, page: str) -> ListPage:
    """One page of a folder's list and the link to the next: keyset paging ("avant") for
    date sorts, page numbers for name sorts."""
    number = max(1, int(page)) if ascii_digits(page) else 1
    messages = message_page(folder=folder, before=before, only=only, sort=sort,
                            offset=(number - 1) * PAGE_SIZE, threads=threads)
    next_page = None
    if len(messages) == PAGE_SIZE:
        if not LIST_SORTS[sort][1]:
            next_page = f"page={number + 1}"
        elif messages[-1].date:
            next_page = f"avant={messages[-1].date.timestamp():.0f}_{messages[-1].uid}"
    return ListPage(messages=messages, number=number, only=only if only in LIST_FILTERS else "",
                    next_page=next_page)


def compose_mailboxes(*, user: User) -> list[Mailbox]:
    """The mailboxes the user may write from: theirs and those delegated to them with the
    right to send, not the application mailboxes (certificate only, for software)."""
    return [m for m in mailbox_list_for_user(user=user).exclude(kind=Mailbox.Kind.APPLICATION)
            if not m.read_only]


OUTBOX_SHOWN = 100


def outbox_list(*, user: User) -> list[OutboxMessage]:
    """The user's latest outgoing messages, with their state."""
    return list(OutboxMessage.objects.filter(user=user.pk).select_related("mailbox")[:OUTBOX_SHOWN])


def sender_outside_trust(*, address: str, folder: Folder) -> bool:
    """Whether a received message's sender is outside the MSSanté trust space (a domain not
    on the whitelist, or no usable address): the reader says so. Not for what this mailbox
    sent, and unknown while the whitelist is not loaded (staff see their own banner then)."""
    return address.lower() in senders_outside_trust(addresses=[address], folder=folder)


def senders_outside_trust(*, addresses: Iterable[str], folder: Folder) -> set[str]:
    """Of ``addresses`` (senders of a list's rows), the lower-cased ones outside the trust
    space ("" for a row without a usable address), as ``sender_outside_trust`` judges."""
    if folder.role in (Folder.Role.SENT, Folder.Role.DRAFTS):
        return set()
    unique = sorted({a.lower() for a in addresses})
    verdicts = recipients_check(addresses=[a or "@" for a in unique])
    return {address for address, verdict in zip(unique, verdicts, strict=True)
            if verdict.kind in (RecipientKind.OUTSIDE, RecipientKind.MALFORMED)}


def patients_named(*, user: User, messages: Iterable[MessageSummary]) -> dict[str, str]:
    """{INS: "BIRTH NAME First-name"} for the patient senders among ``messages`` that the
    user's lists (their own, their structures') know (ECO.3.1.2: a patient's message shows
    who the patient is, not the name their mail program wrote). No query when no row comes
    from a patient."""
    wanted = {m.patient_ins for m in messages if m.patient_ins and ascii_digits(m.patient_ins)}
    if not wanted:
        return {}
    found = Patient.objects.filter(Q(owner=user) | Q(structure__memberships__user=user), matricule__in=wanted)
    return {p.matricule: p.display_name for p in found.only("matricule", "birth_name", "given_names")}


def recipient_names(*, user: User, addresses: Iterable[str]) -> dict[str, str]:
    """{lower-cased address: name} for the compose chips: a patient of the user's list by
    their name, anyone in the national directory by theirs; addresses known to neither are
    left out."""
    wanted = {a.lower() for a in addresses if a}
    patient_domain = f"@{settings.MSSANTE_PATIENT_DOMAIN}".lower()
    matricules = {a.removesuffix(patient_domain).upper(): a for a in wanted if a.endswith(patient_domain)}
    names = {entry.address: entry.display_name
             for entry in DirectoryEntry.objects.filter(address__in=wanted - set(matricules.values()))}
    if matricules:
        names |= {matricules[p.matricule]: p.display_name
                  for p in Patient.objects.filter(owner_id=user.pk, matricule__in=list(matricules))}
    return names


def directory_mailboxes_for_user(*, user: User) -> list[str]:
    """The PER mailboxes the national directory lists under the user's idNat (linked to
    them at sign-in), for the profile page."""
    if not user.idnat:
        return []
    return list(DirectoryEntry.objects.filter(idnat=user.idnat, mailbox_type=Mailbox.Kind.PERSONAL)
                .order_by("address").values_list("address", flat=True))


def message_ids_of(*, folder: Folder, uids: list[int]) -> list[str]:
    """The Message-IDs of ``uids`` in ``folder`` (what the audit trail names), or "uid:N"
    for a message without one."""
    found = dict(MessageSummary.objects.filter(folder=folder, uid__in=uids[:1000])
                 .values_list("uid", "message_id"))
    return [found.get(uid) or f"uid:{uid}" for uid in uids[:1000]]
