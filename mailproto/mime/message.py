"""A raw message → what the reader shows (pure Python).

Uses the standard library's modern ``email`` parser, which tolerates most malformed MIME
and records defects instead of raising; anything it still chokes on ends as a readable
plain-text rendering of the raw bytes, never an error page and never a lost message.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

from .headers import DATE_MAX, HEADER_MAX, addresses, decode_text, name_and_address, one_line

MAX_TEXT = 2_000_000


@dataclass(frozen=True)
class Attachment:
    part_id: str  # position in the walk, stable for a given message
    filename: str
    content_type: str
    size: int
    content_id: str
    inline: bool


@dataclass(frozen=True)
class ParsedMessage:
    subject: str
    sender_name: str
    sender_address: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: dt.datetime | None
    message_id: str
    references: str
    text: str | None
    html: str | None
    attachments: tuple[Attachment, ...]
    read_receipt_to: str
    defects: int
    bcc: tuple[str, ...] = ()  # only a draft (or a copy someone filed) carries one
    reply_to: tuple[str, ...] = ()  # where the sender asks answers to go (RFC 5322 §3.6.2)
    # The extension ("X-") headers, for the vocabularies that give them a meaning (the
    # MSSanté ones: ``mss.headers``): at most 30, each value one line of 300 characters.
    x_headers: tuple[tuple[str, str], ...] = ()


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_filename(name: str, fallback: str = "piece-jointe") -> str:
    """A name that is safe on every OS and in a Content-Disposition header."""
    name = _UNSAFE_NAME.sub("_", (name or "").strip()).strip(". ")
    return (name or fallback)[:150]


def _text_of(part: Message) -> str:
    raw_payload = part.get_payload(decode=True)
    payload = raw_payload if isinstance(raw_payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    if charset.lower() in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        charset = "windows-1252"  # what mislabelled Western mail really is
    try:
        return payload[:MAX_TEXT].decode(charset, "replace")
    except LookupError:
        return payload[:MAX_TEXT].decode("utf-8", "replace")


def _header_values(message: Message, name: str) -> list[str]:
    """A header's values as one-line text, bounded. The email package refuses to model some
    values a sender can write (an encoded display name decoding to CR/LF raises ValueError,
    which used to lose the whole message to the text-only fallback): those are read raw and
    decoded here instead."""
    try:
        values = [str(v) for v in message.get_all(name, [])]
    except (ValueError, TypeError, IndexError, RecursionError):  # nested comments recurse too
        values = [decode_text(str(v).encode("utf-8", "surrogateescape"))
                  for k, v in message.raw_items() if k.lower() == name.lower()]
    return [one_line(v[:HEADER_MAX]) for v in values]


def _header(message: Message, name: str) -> str:
    values = _header_values(message, name)
    return values[0] if values else ""


def _addresses(message: Message, header: str) -> tuple[str, ...]:
    values = _header_values(message, header)
    try:
        pairs = email.utils.getaddresses(values)
    except (RecursionError, ValueError, IndexError):  # the stdlib parser on nested comments
        return tuple(address for value in values for address in addresses(value))
    return tuple(email.utils.formataddr(p) if p[0] else p[1] for p in pairs if p[1])


def message_tree(raw: bytes) -> Message:
    """The standard library's tree of a message: parsed once, then read for the summary
    (``parsed_from_tree``) and for any part (``part_from_tree``)."""
    return email.message_from_bytes(raw, policy=email.policy.default)


def parse_message(raw: bytes) -> ParsedMessage:
    try:
        tree = message_tree(raw)
    except Exception:  # noqa: BLE001 - a broken message must still be readable
        return _as_text(raw)
    return parsed_from_tree(tree, raw)


def parsed_from_tree(message: Message, raw: bytes) -> ParsedMessage:
    try:
        return _parsed(message)
    except Exception:  # noqa: BLE001 - a broken message must still be readable
        return _as_text(raw)


def _as_text(raw: bytes) -> ParsedMessage:
    text = raw[:MAX_TEXT].decode("utf-8", "replace")
    return ParsedMessage("", "", "", (), (), None, "", "", text, None, (), "", 1)


def _leaves(message: Message) -> Iterator[tuple[int, Message]]:
    """Every leaf part with a stable number; a forwarded message (message/rfc822) is one
    leaf, not opened here."""
    counter = 0

    def walk(part: Message) -> Iterator[tuple[int, Message]]:
        nonlocal counter
        number = counter
        counter += 1
        if part.get_content_type() == "message/rfc822" or not part.is_multipart():
            yield number, part
            return
        for child in part.get_payload():  # type: ignore[union-attr]
            if isinstance(child, Message):
                yield from walk(child)

    yield from walk(message)


def _parsed(message: Message) -> ParsedMessage:
    text = html = None
    attachments: list[Attachment] = []
    for index, part in _leaves(message):
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if content_type == "message/rfc822" or (filename or disposition == "attachment"):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else len(str(part.get_payload()))
            attachments.append(Attachment(
                part_id=str(index), filename=safe_filename(filename or "message.eml"
                                                           if content_type == "message/rfc822"
                                                           else filename or ""),
                content_type=content_type, size=size,
                content_id=(part.get("Content-ID") or "").strip().strip("<>"),
                inline=disposition == "inline"))
        elif content_type == "text/plain" and text is None:
            text = _text_of(part)
        elif content_type == "text/html" and html is None:
            html = _text_of(part)
        elif part.get("Content-ID"):
            payload = part.get_payload(decode=True) or b""
            attachments.append(Attachment(
                part_id=str(index), filename=safe_filename(filename or ""), content_type=content_type,
                size=len(payload), content_id=(part.get("Content-ID") or "").strip().strip("<>"),
                inline=True))
    name, address = name_and_address(_header(message, "From"))
    try:
        date = email.utils.parsedate_to_datetime(_header(message, "Date")[:DATE_MAX])
    except (TypeError, ValueError, IndexError):
        date = None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=dt.UTC)
    return ParsedMessage(
        subject=_header(message, "Subject"), sender_name=name, sender_address=address,
        to=_addresses(message, "To"), cc=_addresses(message, "Cc"), date=date,
        message_id=_header(message, "Message-ID").strip(),
        references=" ".join(_header(message, "References").split()), text=text, html=html,
        attachments=tuple(attachments),
        read_receipt_to=_header(message, "Disposition-Notification-To").strip(),
        defects=len(getattr(message, "defects", [])),
        bcc=_addresses(message, "Bcc"), reply_to=_addresses(message, "Reply-To"),
        x_headers=_x_headers(message))


def _x_headers(message: Message) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for name in message.keys()[:200]:
        if name[:2].lower() == "x-" and len(found) < 30 and len(name) <= 60:
            found.append((name, one_line(str(_header(message, name)))[:300]))
    return tuple(found)


def part_payload(raw: bytes, part_id: str) -> tuple[bytes, str, str] | None:
    """(bytes, content type, file name) of one part, by the id ``parse_message`` gave it."""
    return part_from_tree(message_tree(raw), part_id)


def part_from_tree(message: Message, part_id: str) -> tuple[bytes, str, str] | None:
    for index, part in _leaves(message):
        if str(index) == part_id:
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                first = inner[0] if isinstance(inner, list) and inner else inner
                data = first.as_bytes() if isinstance(first, Message) else b""
                return data, "message/rfc822", safe_filename(part.get_filename() or "message.eml")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            return data, part.get_content_type(), safe_filename(part.get_filename() or "")
    return None
