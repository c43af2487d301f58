"""UID sets and mailbox names as IMAP writes them (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from imapclient import imap_utf7


@dataclass(frozen=True)
class MovedUids:
    """Where moved or copied messages landed (UIDPLUS COPYUID, RFC 4315)."""

    uidvalidity: int
    pairs: tuple[tuple[int, int], ...]  # (source uid, destination uid)


_COPYUID = re.compile(rb"\[COPYUID (\d+) ([\d:,]+) ([\d:,]+)\]", re.I)


def parse_copyuid(text: bytes) -> MovedUids | None:
    found = _COPYUID.search(text)
    if not found:
        return None
    sources, targets = parse_uid_set(found.group(2)), parse_uid_set(found.group(3))
    if len(sources) != len(targets):
        return None
    return MovedUids(int(found.group(1)), tuple(zip(sources, targets, strict=True)))


def uid_set(uids: Iterable[int]) -> bytes:
    """[1, 2, 3, 7, 9, 10] → b"1:3,7,9:10"."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty uid set")
    parts: list[str] = []
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts).encode()


def parse_uid_set(raw: bytes) -> list[int]:
    """b"1:3,7" → [1, 2, 3, 7] (ranges either way round, as RFC 3501 allows)."""
    result: list[int] = []
    for part in raw.strip().split(b","):
        if not part:
            continue
        low, _, high = part.partition(b":")
        if high:
            a, b = int(low), int(high)
            result.extend(range(min(a, b), max(a, b) + 1))
        else:
            result.append(int(low))
    return result


def quote_mailbox(name: str) -> bytes:
    encoded = imap_utf7.encode(name)
    return b'"' + encoded.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
