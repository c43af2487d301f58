"""What the server's answers mean: folder statuses, SELECT results, change notifications
(pure functions over ``wire`` response units)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imapclient import imap_utf7

from . import wire
from .summaries import FlagsRecord

ROLES = {b"\\drafts": "drafts", b"\\sent": "sent", b"\\trash": "trash", b"\\junk": "junk",
         b"\\archive": "archive"}
STATUS_ITEMS = b"MESSAGES UNSEEN UIDNEXT UIDVALIDITY"


@dataclass(frozen=True)
class FolderStatus:
    name: str
    delimiter: str
    role: str
    selectable: bool
    messages: int
    unseen: int
    uidnext: int
    uidvalidity: int
    highestmodseq: int | None


@dataclass(frozen=True)
class SelectState:
    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None


@dataclass(frozen=True)
class Changes:
    vanished: tuple[int, ...]
    flags: tuple[FlagsRecord, ...]


def as_imaplib(unit: list[bytes], skip: int) -> list[Any]:
    """A wire unit (minus its leading ``skip`` bytes) in imaplib's shape for parse_response."""
    items: list[Any] = []
    texts, literals = unit[0::2], unit[1::2]
    for index, text in enumerate(texts):
        text = text[skip:] if index == 0 else text
        if index < len(literals):
            items.append((text + b"{%d}" % len(literals[index]), literals[index]))
        else:
            items.append(text)
    return items


_NOTICE = re.compile(rb"^\* (?:\d+ (?:EXISTS|EXPUNGE|FETCH)|VANISHED)")


def is_notification(unit: list[bytes], expected: bytes) -> bool:
    """Is this untagged unit the server telling us the selected folder changed (new mail,
    expunge, flags), rather than the answer we asked for?"""
    head = unit[0]
    if expected == b"SUMMARY" and head.find(b"HEADER.FIELDS") >= 0:
        return False  # a summary we asked for (100,000 at a sync: tested before the regex)
    if not _NOTICE.match(head):
        return False
    if expected == b"SELECT" and head.endswith(b" EXISTS"):
        return False  # part of the SELECT/EXAMINE answer
    return not (expected == b"CHANGES" and (b" FETCH " in head[:24] or head.startswith(b"* VANISHED")))


def status_values(values: Sequence[Any]) -> dict[bytes, int]:
    """(b"MESSAGES", 3, b"UNSEEN", 1, ...) → {b"MESSAGES": 3, b"UNSEEN": 1, ...}"""
    return {bytes(k).upper(): int(v) for k, v in zip(values[0::2], values[1::2], strict=False)}




_CODE = re.compile(rb"\[(UIDVALIDITY|UIDNEXT|HIGHESTMODSEQ) (\d+)\]")
_EXISTS = re.compile(rb"^\* (\d+) EXISTS")


def select_state(response: wire.Response) -> SelectState:
    """The counters a SELECT or EXAMINE answer carries (in untagged units or the completion)."""
    codes: dict[bytes, int] = {}
    exists = 0
    for unit in response.units:
        for match in _CODE.finditer(unit[0]):
            codes[match.group(1)] = int(match.group(2))
        found = _EXISTS.match(unit[0])
        if found:
            exists = int(found.group(1))
    for match in _CODE.finditer(response.text):
        codes[match.group(1)] = int(match.group(2))
    return SelectState(uidvalidity=codes.get(b"UIDVALIDITY", 0),
                       uidnext=codes.get(b"UIDNEXT", 0), exists=exists,
                       highestmodseq=codes.get(b"HIGHESTMODSEQ"))


def folder_name(raw: Any) -> str:
    """A mailbox name as LIST or STATUS gives it (modified UTF-7, or a bare number)."""
    if isinstance(raw, int):
        raw = str(raw).encode()
    if isinstance(raw, bytes):
        return imap_utf7.decode(raw)
    return str(raw)


def folder_role(name: str, flags: Sequence[bytes]) -> str:
    """The special use of a folder (RFC 6154 flags, lowered), "inbox", or ""."""
    if name.upper() == "INBOX":
        return "inbox"
    return next((ROLES[f] for f in flags if f in ROLES), "")
