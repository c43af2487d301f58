"""One cache of opened messages per process: the raw bytes, the standard library's tree
(parsed once) and the reader's summary of it, for the page, its frame, the thumbnails,
the ``cid:`` images, the attached messages and the downloads of one message.

Why in the process and not only in Redis: Redis keeps raw messages up to ``RAW_CACHE_MAX``
(2 MB), shared by every process; a larger message (a scanned report, an X-ray in a PDF)
was fetched whole from the operator and parsed again for each of its images. Here any
message up to the cache's size is kept, bounded in bytes (``MSSANTE_MESSAGE_CACHE_MB``,
least recently used out first) and in time (``RAW_CACHE_SECONDS``). Keys are
``message_version_key`` (mailbox, folder, UIDVALIDITY, UID): no two messages share one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from email.message import Message

from django.conf import settings

from mailproto.mime.message import (
    ParsedMessage,
    message_tree,
    parse_message,
    parsed_from_tree,
    part_from_tree,
)

RAW_CACHE_SECONDS = 120  # long enough for the page, its frame and its images; no longer


class CachedMessage:
    """A message's bytes, its tree and its summary, each computed at most once."""

    # The tree and the decoded parts cost about as much memory again as the raw bytes.
    WEIGHT_FACTOR = 2

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._tree: Message | None = None
        self._tree_failed = False
        self._parsed: ParsedMessage | None = None
        self._lock = threading.Lock()
        # What the reader derives from the message (its sanitised body...), by cache key:
        # a second open reads it here instead of from Redis.
        self.derived: dict[str, object] = {}

    @property
    def weight(self) -> int:
        return len(self.raw) * self.WEIGHT_FACTOR

    def tree(self) -> Message | None:
        with self._lock:
            if self._tree is None and not self._tree_failed:
                try:
                    self._tree = message_tree(self.raw)
                except Exception:  # noqa: BLE001 - shown as text by ``parsed``
                    self._tree_failed = True
            return self._tree

    @property
    def parsed(self) -> ParsedMessage:
        if self._parsed is None:
            tree = self.tree()
            self._parsed = parsed_from_tree(tree, self.raw) if tree is not None else parse_message(self.raw)
        return self._parsed

    def part(self, part_id: str) -> tuple[bytes, str, str] | None:
        tree = self.tree()
        return part_from_tree(tree, part_id) if tree is not None else None


class MessageCache:
    """Least recently used messages up to ``max_bytes`` (weights), each for ``ttl`` s."""

    def __init__(self, *, max_bytes: int, ttl: float) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._entries: OrderedDict[str, tuple[float, CachedMessage]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedMessage | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, message: CachedMessage) -> CachedMessage:
        """Keep ``message`` (unless it alone is over the bound) and return it."""
        if message.weight > self.max_bytes:
            return message
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + self.ttl, message)
            self._weight += message.weight
            while self._weight > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))
        return message

    def _drop(self, key: str) -> None:
        _, message = self._entries.pop(key)
        self._weight -= message.weight

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    @property
    def weight(self) -> int:
        return self._weight


MESSAGES = MessageCache(max_bytes=settings.MSSANTE_MESSAGE_CACHE_MB * 1024 * 1024,
                        ttl=RAW_CACHE_SECONDS)
