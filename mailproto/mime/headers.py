"""Fast, forgiving decoding of the few headers a message list needs.

The sync engine decodes these for every message of 100,000-message folders, so the common
cases take a fast path (one regex, no ``email`` package machinery) and anything unusual
falls back to the standard library. Nothing here raises on malformed input: a list must
show a broken message rather than lose it.

Every value comes from a sender: each is cut to ``HEADER_MAX`` before any pattern runs,
and no pattern here can backtrack over it (each scan starts only where a match can start,
or is bounded), so a hostile header costs time linear in its length, capped. One
catastrophic From (a run of U+00A0 before an address, against three overlapping
whitespace quantifiers) used to hold a sync for minutes.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import email.utils
import functools
import re
import unicodedata

from mailproto.identifiers import ascii_digits

HEADER_MAX = 16 * 1024  # bytes (or characters) of one header value ever looked at
DATE_MAX = 200  # a date is ~31 bytes; comments and zone names make some longer
FALLBACK_MAX = 320  # what the standard library parser is given of an odd From
ADDRESS_CHARS = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~.-"

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(rb"(\?=)\s+(=\?)")
# The lookbehind lets a match start only where a run of address characters starts: without
# it, a long run with no "@" was scanned again from each of its characters (quadratic).
_ADDRESS = re.compile(rf"(?<![{ADDRESS_CHARS}])[{ADDRESS_CHARS}]+@[A-Za-z0-9.-]+[A-Za-z0-9]")
_DATE = re.compile(
    rb"(?:\w{3},\s*)?(\d{1,2})\s+(\w{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*"
    rb"([+-]\d{4})?")
_MONTHS = {m: i for i, m in enumerate(
    (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
     b"dec"), start=1)}


@functools.lru_cache(maxsize=256)
def _codec(charset: bytes) -> tuple[str, bool]:
    """A MIME charset name → (Python codec, whether its output is always clean text).

    Cached: a mailbox uses a handful of charsets. Unknown names read as UTF-8. A few codecs
    Python accepts (UTF-7, the escape codecs) can produce lone surrogates, which no database
    stores: their output is cleaned after decoding."""
    name = charset.split(b"*")[0].decode("ascii", "replace")  # RFC 2231 language dropped
    try:
        info = codecs.lookup(name)
    except LookupError:
        return "utf-8", True
    # No mail charset is a Python escape codec or a bytes transform (zlib, base64): a sender
    # naming one gets UTF-8, not backslash sequences interpreted.
    if not getattr(info, "_is_text_encoding", True) or info.name in ("unicode-escape",
                                                                      "raw-unicode-escape"):
        return "utf-8", True
    codec = info.name
    return codec, codec.startswith(("utf-8", "ascii", "iso8859", "latin", "cp", "mac"))


def _charset_decode(data: bytes, charset: bytes) -> str:
    codec, clean = _codec(charset)
    try:
        text = data.decode(codec, "replace")
    except (LookupError, UnicodeError):  # not a text encoding (zlib), or no "replace" (idna,
        return data.decode("utf-8", "replace")  # undefined): hostile names must not fail a sync
    return text if clean else text.encode("utf-8", "replace").decode("utf-8")


def _word_text(match: re.Match[bytes]) -> str | None:
    """An RFC 2047 encoded word's text, or None when its payload cannot be decoded."""
    charset, encoding, text = match.groups()
    try:
        raw = (base64.b64decode(text + b"=" * (-len(text) % 4)) if encoding in (b"B", b"b")
               else binascii.a2b_qp(text, header=True))
    except (binascii.Error, ValueError):
        return None
    return _charset_decode(raw, charset)


def _word(match: re.Match[bytes]) -> bytes:
    text = _word_text(match)
    return match.group(0) if text is None else text.encode("utf-8")


@functools.lru_cache(maxsize=8192)
def decode_text(raw: bytes) -> str:
    """Header value → text: RFC 2047 words decoded, raw 8-bit read as UTF-8 (else Latin-1).

    Cached: the same correspondents' names come back thousands of times in a mailbox. A
    value that is one encoded word (most encoded subjects and names) is decoded straight
    to text, without a regex substitution and a second decoding."""
    raw = raw[:HEADER_MAX].strip()
    if raw.find(b"=?") >= 0:  # not ``in``: see summaries._structure_kinds
        single = _ENCODED_WORD.fullmatch(raw)
        if single is None:
            raw = _ENCODED_WORD.sub(_word, _BETWEEN_WORDS.sub(rb"\1\2", raw))
        elif (text := _word_text(single)) is not None:
            return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_FOLD = re.compile(rb"\r?\n[ \t]+")


def split_headers(block: bytes) -> dict[bytes, bytes]:
    """Unfolded header fields by lower-case name; the first occurrence wins.

    Split on LF alone (``strip`` drops each line's CR): one pass fewer than choosing the
    separator, and the names of the fields a list asks for are looked up, not lowered."""
    if block.find(b"\n ") >= 0 or block.find(b"\n\t") >= 0:  # ``in`` is slower on bytes
        block = _FOLD.sub(b" ", block)
    fields: dict[bytes, bytes] = {}
    known = _KNOWN_NAMES.get
    for line in block.split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon:
            key = known(name) or name.strip().lower()
            if key and key not in fields:
                fields[key] = value.strip()
    return fields


_KNOWN_NAMES = {name: name.lower() for name in (
    b"From", b"To", b"Cc", b"CC", b"Subject", b"Date", b"Message-ID", b"Message-Id",
    b"In-Reply-To", b"References", b"from", b"to", b"cc", b"subject", b"date", b"message-id",
    b"in-reply-to", b"references")}


@functools.lru_cache(maxsize=8192)
def name_and_address(value: str) -> tuple[str, str]:
    """``"Dr Claire Martin" <claire@x>`` → (name, address), address lower-cased.

    The usual shape, a name then the address in angle brackets at the end, is cut at its
    last ``<`` (no pattern); anything else is searched for an address, then left to the
    standard library."""
    value = value[:HEADER_MAX]
    opening = value.rfind("<")
    closing = value.find(">", opening + 1) if opening >= 0 else -1
    if closing > 0 and not value[closing + 1:].strip():
        address = value[opening + 1:closing].strip()
        if not any(c.isspace() for c in address):
            name = value[:opening].strip()
            name = name[1:] if name.startswith('"') else name
            name = name[:-1] if name.endswith('"') else name
            return name.strip().replace('\\"', '"'), address.lower()
    found = _ADDRESS.search(value)
    if found:
        return "", found.group(0).lower()
    # The standard library's parser recurses on nested comments ("((((...": a RecursionError
    # at about 1,000) and is slow on long values: only the start of the value, guarded.
    try:
        name, address = email.utils.parseaddr(value[:FALLBACK_MAX])
    except (RecursionError, ValueError, IndexError):
        return "", ""
    return name, address.lower()


def addresses(value: str) -> list[str]:
    """Every address in a To/Cc value, lower-cased, in order, without duplicates."""
    return list(dict.fromkeys(a.lower() for a in _ADDRESS.findall(value[:HEADER_MAX])))


@functools.lru_cache(maxsize=8192)
def addresses_text(value: str) -> str:
    """``addresses`` joined by spaces, as the index stores them; cached like the names."""
    return " ".join(addresses(value))


def parse_date(raw: bytes) -> dt.datetime | None:
    """RFC 5322 date → aware UTC datetime, or None when it cannot be read.

    The shape nearly every mailer writes, ``Wed, 01 Jan 2025 00:21:00 +0100``, is read by
    position (a third of the regex path's time); anything else goes through the regex."""
    raw = raw[:DATE_MAX]
    if (len(raw) == 31 and raw[19:20] == b":" == raw[22:23] and raw[3:5] == b", "
            and raw[16:17] == b" " == raw[25:26] and raw[26:27] in (b"+", b"-")
            and ascii_digits(raw[27:31])):
        midnight = _day(raw[5:16])
        hh, mm, ss = raw[17:19], raw[20:22], raw[23:25]
        if (midnight is not None and ascii_digits(hh) and ascii_digits(mm) and ascii_digits(ss)
                and hh < b"24" and mm < b"60" and ss < b"60"):
            return _shifted(midnight, int(hh) * 3600 + int(mm) * 60 + int(ss)
                            - _zone_seconds(raw[26:31]))
    match = _DATE.search(raw)
    if match:
        day, month, year, hour, minute, second, zone = match.groups()
        midnight = _midnight(day, month, year)
        hours, minutes, seconds = int(hour), int(minute), int(second or 0)
        if midnight is not None and hours < 24 and minutes < 60 and seconds < 60:
            return _shifted(midnight, hours * 3600 + minutes * 60 + seconds - _zone_seconds(zone))
        if midnight is not None:
            return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw.decode("ascii", "replace"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


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


_SECOND = dt.timedelta(seconds=1)


def _shifted(midnight: dt.datetime, seconds: int) -> dt.datetime | None:
    try:
        return midnight + _SECOND * seconds  # no keyword parsing: half of timedelta(seconds=)
    except OverflowError:  # 31 Dec 9999 pushed past the calendar's end by its zone
        return None


@functools.lru_cache(maxsize=4096)
def _day(text: bytes) -> dt.datetime | None:
    """``01 Jan 2025`` → that day's start in UTC (see ``_midnight``)."""
    day, month, year = text[:2], text[3:6], text[7:]
    if text[2:3] != b" " or text[6:7] != b" " or not (ascii_digits(day) and ascii_digits(year)):
        return None
    return _midnight(day, month, year)


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
    return [m.decode("ascii", "replace") for m in _MESSAGE_ID.findall(raw[:HEADER_MAX])]


# Control characters (CR and LF first) become spaces in a value that goes into a new
# message's header: a decoded encoded word may hold them, and the email package refuses a
# header value with a line break (a reply to such a message answered 500).
_ONE_LINE = {code: " " for code in [*range(0x00, 0x09), *range(0x0a, 0x20), 0x7f, 0x85, 0x2028, 0x2029]}


def one_line(value: str) -> str:
    """``value`` safe for one header line: no CR, LF or other control character."""
    return value.translate(_ONE_LINE)


def ascii_field(value: str) -> str:
    """``value`` for a field that must be US-ASCII (an MDN's "Error:", RFC 8098 §3.1):
    accents dropped ("être" → "etre"), anything else non-ASCII as "?", on one line."""
    if value.isascii():
        return one_line(value)
    decomposed = unicodedata.normalize("NFKD", value)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return one_line(kept.encode("ascii", "replace").decode("ascii"))
