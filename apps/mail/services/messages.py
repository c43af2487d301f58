"""User actions on messages (flags, moves, deletions, keywords), each applied on the server
and then to the index at once (the next sync agrees); and a message's raw bytes, fetched
on demand for the reader and kept briefly."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cryptography.fernet import InvalidToken, MultiFernet
from django.core.cache import cache
from django.db import transaction

from apps.core.crypto import fernet_cipher
from apps.core.errors import ApplicationError, MessageGone
from mailproto.imap import ImapError

from ..engine.access import MailAccess, mailbox_session
from ..engine.message_cache import MESSAGES, RAW_CACHE_SECONDS, CachedMessage
from ..models import Folder, MessageSummary

logger = logging.getLogger(__name__)

FLAG_COLUMNS = {"seen": b"\\Seen", "flagged": b"\\Flagged", "answered": b"\\Answered"}
RAW_CACHE_MAX = 2 * 1024 * 1024  # shared by every process in Redis up to this size


def folder_counts_refresh(*, folder: Folder) -> None:
    """The folder's total and unread counts from its index rows."""
    messages = MessageSummary.objects.filter(folder=folder)
    Folder.objects.filter(pk=folder.pk).update(total=messages.count(),
                                               unread=messages.filter(seen=False).count())


def message_flag_set(*, access: MailAccess, folder: Folder, uids: Sequence[int], flag: str,
                     value: bool) -> int:
    """Set or clear a flag on the server, then in the index at once (the next sync agrees)."""
    if flag not in FLAG_COLUMNS:
        raise ValueError(flag)
    with mailbox_session(access=access) as session:
        session.set_flag(folder.name, uids, FLAG_COLUMNS[flag], value)
    with transaction.atomic():
        changed = MessageSummary.objects.filter(folder=folder, uid__in=uids).update(**{flag: value})
        folder_counts_refresh(folder=folder)
    return changed


def message_keyword_set(*, access: MailAccess, folder: Folder, uid: int, keyword: str) -> None:
    """A keyword ($MDNSent...) on the server and in the index."""
    with mailbox_session(access=access) as session:
        session.set_flag(folder.name, [uid], keyword.encode(), True)
    row = MessageSummary.objects.filter(folder=folder, uid=uid).first()
    if row is not None and keyword not in row.keywords.split():
        row.keywords = f"{row.keywords} {keyword}".strip()[:500]
        row.save(update_fields=["keywords"])


def message_move(*, access: MailAccess, folder: Folder, uids: Sequence[int],
                 destination: Folder) -> int:
    """MOVE on the server. The rows follow the messages into the destination at once when
    the server gives their new UIDs (COPYUID) for the destination's UIDVALIDITY (or the
    destination was never synced); otherwise they leave the source and come back with the
    destination's next sync."""
    if folder.mailbox_id != destination.mailbox_id:
        raise ValueError("moves stay within one mailbox")
    with mailbox_session(access=access) as session:
        moved = session.move(folder.name, uids, destination.name)
    with transaction.atomic():
        rows = MessageSummary.objects.filter(folder=folder, uid__in=uids)
        count = rows.count()
        if moved is not None and destination.uidvalidity is None:
            # Never synced: its first sync will fetch all but what is already indexed.
            destination.uidvalidity = moved.uidvalidity
            Folder.objects.filter(pk=destination.pk, uidvalidity__isnull=True).update(
                uidvalidity=moved.uidvalidity)
        if moved is not None and destination.uidvalidity == moved.uidvalidity:
            new_uids = dict(moved.pairs)
            MessageSummary.objects.filter(folder=destination, uid__in=new_uids.values()).delete()
            for row in rows.only("pk", "uid"):
                if row.uid in new_uids:
                    MessageSummary.objects.filter(pk=row.pk).update(folder=destination,
                                                                    uid=new_uids[row.uid])
            folder_counts_refresh(folder=destination)
        MessageSummary.objects.filter(folder=folder, uid__in=uids).delete()
        folder_counts_refresh(folder=folder)
    return count


def message_expunge(*, access: MailAccess, folder: Folder, uids: Sequence[int]) -> int:
    with mailbox_session(access=access) as session:
        session.expunge(folder.name, uids)
    with transaction.atomic():
        removed, _ = MessageSummary.objects.filter(folder=folder, uid__in=uids).delete()
        folder_counts_refresh(folder=folder)
    return removed


def message_version_key(*, folder: Folder, uid: int) -> str:
    """What identifies one version of a message in the caches: its folder and UID, under
    the folder's UIDVALIDITY (a new UIDVALIDITY means the UIDs name other messages)."""
    return f"{folder.mailbox_id}:{folder.pk}:{folder.uidvalidity}:{uid}"


def message_cached_get(*, access: MailAccess, folder: Folder, uid: int) -> CachedMessage:
    """The message as the server has it, opened once per process (``message_cache``) and
    shared through Redis up to ``RAW_CACHE_MAX``, each for ``RAW_CACHE_SECONDS``: the page,
    its frame and its images each ask within a second. A message gone from the server
    leaves the index too, and raises ``MessageGone``."""
    key = message_version_key(folder=folder, uid=uid)
    found = MESSAGES.get(key)
    if found is not None:
        return found
    raw = _shared_open(cache.get(f"mssweb:raw:{key}"))
    if raw is None:
        with mailbox_session(access=access) as session:
            raw = session.fetch_raw(folder.name, uid)
        if raw is None:
            MessageSummary.objects.filter(folder=folder, uid=uid).delete()
            raise MessageGone(f"{folder} uid {uid} gone")
        if len(raw) <= RAW_CACHE_MAX:
            cache.set(f"mssweb:raw:{key}", _shared_seal(raw), RAW_CACHE_SECONDS)
    return MESSAGES.put(key, CachedMessage(bytes(raw)))


def _shared_cipher() -> MultiFernet:
    return fernet_cipher(keys=(), purpose="message-cache-key")


def _shared_seal(raw: bytes) -> bytes:
    """A message in Redis is a Fernet ciphertext: it holds health data, and Redis is a
    network service with its own persistence and backups (issue 27)."""
    return bytes(_shared_cipher().encrypt(bytes(raw)))


def _shared_open(sealed: object) -> bytes | None:
    if not isinstance(sealed, bytes | bytearray):
        return None
    try:
        return bytes(_shared_cipher().decrypt(bytes(sealed)))
    except InvalidToken:  # written under a secret key since rotated, or not ours: a miss
        return None


def message_raw_get(*, access: MailAccess, folder: Folder, uid: int) -> bytes:
    """The whole message's bytes (see ``message_cached_get``)."""
    return message_cached_get(access=access, folder=folder, uid=uid).raw


def message_body_search(*, access: MailAccess, query: str) -> dict[int, list[int]] | None:
    """The server's SEARCH TEXT over every folder (for messages the local body index does
    not hold yet, or all of them when it is off): {folder id: matching uids}, or None when
    the server could not answer (the page then says so and shows what the index found)."""
    found: dict[int, list[int]] = {}
    try:
        with mailbox_session(access=access) as session:
            for folder in Folder.objects.filter(mailbox=access.mailbox):
                found[folder.pk] = session.search_text(folder.name, query)
    except (ApplicationError, ImapError) as exc:
        logger.warning("body search failed for %s: %s", access.mailbox.address, exc)
        return None
    return found
