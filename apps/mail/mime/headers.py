"""Fast, forgiving decoding of the few headers a message list needs.

The sync engine decodes these for every message of 100,000-message folders, so the common
cases take a fast path (one regex, no ``email`` package machinery) and anything unusual
falls back to the standard library. Nothing here raises on malformed input: a list must
show a broken message rather than lose it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import functools
import re

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(rb"(\?=)\s+(=\?)")
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+[A-Za-z0-9]")
_NAME_ADDR = re.compile(r'^\s*"?(.*?)"?\s*<\s*([^<>\s]*)\s*>\s*$', re.S)
_DATE = re.compile(
    rb"(?:\w{3},\s*)?(\d{1,2})\s+(\w{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*"
    rb"([+-]\d{4})?")
_MONTHS = {m: i for i, m in enumerate(
    (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
     b"dec"), start=1)}


def _charset_decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _word(match: re.Match[bytes]) -> bytes:
    charset = match.group(1).split(b"*")[0].decode("ascii", "replace")  # RFC 2231 language
    encoding, text = match.group(2).upper(), match.group(3)
    try:
        raw = (base64.b64decode(text + b"=" * (-len(text) % 4)) if encoding == b"B"
               else binascii.a2b_qp(text, header=True))
    except (binascii.Error, ValueError):
        return match.group(0)
    return _charset_decode(raw, charset).encode("utf-8", "surrogatepass")


@functools.lru_cache(maxsize=8192)
def decode_text(raw: bytes) -> str:
    """Header value → text: RFC 2047 words decoded, raw 8-bit read as UTF-8 (else Latin-1).

    Cached: the same correspondents' names come back thousands of times in a mailbox."""
    raw = raw.strip()
    if b"=?" in raw:
        single = _ENCODED_WORD.fullmatch(raw)  # the usual whole-value word: no sub() callbacks
        raw = _word(single) if single else _ENCODED_WORD.sub(_word, _BETWEEN_WORDS.sub(rb"\1\2", raw))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_FOLD = re.compile(rb"\r?\n[ \t]+")


def split_headers(block: bytes) -> dict[bytes, bytes]:
    """Unfolded header fields by lower-case name; the first occurrence wins."""
    if b"\n " in block or b"\n\t" in block:
        block = _FOLD.sub(b" ", block)
    fields: dict[bytes, bytes] = {}
    for line in block.split(b"\r\n") if b"\r\n" in block else block.split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon and name:
            key = name.strip().lower()
            if key not in fields:
                fields[key] = value.strip()
    return fields


@functools.lru_cache(maxsize=8192)
def name_and_address(value: str) -> tuple[str, str]:
    """``"Dr Claire Martin" <claire@x>`` → (name, address), address lower-cased."""
    match = _NAME_ADDR.match(value)
    if match:
        return match.group(1).strip().replace('\\"', '"'), match.group(2).lower()
    found = _ADDRESS.search(value)
    if found:
        return "", found.group(0).lower()
    name, address = email.utils.parseaddr(value)
    return name, address.lower()


def addresses(value: str) -> list[str]:
    """Every address in a To/Cc value, lower-cased, in order, without duplicates."""
    return list(dict.fromkeys(a.lower() for a in _ADDRESS.findall(value)))


@functools.lru_cache(maxsize=8192)
def addresses_text(value: str) -> str:
    """``addresses`` joined by spaces, as the index stores them; cached like the names."""
    return " ".join(addresses(value))


def parse_date(raw: bytes) -> dt.datetime | None:
    """RFC 5322 date → aware UTC datetime, or None when it cannot be read."""
    match = _DATE.search(raw)
    if match:
        day, month, year, hour, minute, second, zone = match.groups()
        midnight = _midnight(day, month, year)
        hours, minutes, seconds = int(hour), int(minute), int(second or 0)
        if midnight is not None and hours < 24 and minutes < 60 and seconds < 60:
            return midnight + dt.timedelta(
                seconds=hours * 3600 + minutes * 60 + seconds - _zone_seconds(zone))
        if midnight is not None:
            return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw.decode("ascii", "replace"))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


@functools.lru_cache(maxsize=4096)
def _midnight(day: bytes, month: bytes, year: bytes) -> dt.datetime | None:
    """The day's start in UTC, cached: a mailbox's messages share a few thousand days, and
    building datetimes field by field was a sixth of an initial sync's parsing."""
    number = _MONTHS.get(month[:3].lower())
    if not number:
        return None
    try:
        return dt.datetime(int(year), number, int(day), tzinfo=dt.UTC)
    except ValueError:
        return None


@functools.lru_cache(maxsize=512)
def _zone_seconds(zone: bytes | None) -> int:
    if not zone:
        return 0
    return (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60) * (1 if zone[:1] == b"+" else -1)


_MESSAGE_ID = re.compile(rb"<[^<>\s]+>")


def message_ids(raw: bytes) -> list[str]:
    """All ``<...>`` message ids in a References or In-Reply-To value."""
    if not raw:
        return []
    return [m.decode("ascii", "replace") for m in _MESSAGE_ID.findall(raw)]
