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

from .headers import one_line

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


def _addresses(message: Message, header: str) -> tuple[str, ...]:
    values = message.get_all(header, [])
    pairs = email.utils.getaddresses([one_line(str(v)) for v in values])
    return tuple(email.utils.formataddr(p) if p[0] else p[1] for p in pairs if p[1])


def parse_message(raw: bytes) -> ParsedMessage:
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        return _parsed(message)
    except Exception:  # noqa: BLE001 - a broken message must still be readable
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
    name, address = email.utils.parseaddr(one_line(str(message.get("From", ""))))
    try:
        date = email.utils.parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        date = None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=dt.UTC)
    return ParsedMessage(
        subject=one_line(str(message.get("Subject", ""))), sender_name=name, sender_address=address.lower(),
        to=_addresses(message, "To"), cc=_addresses(message, "Cc"), date=date,
        message_id=one_line(str(message.get("Message-ID", ""))).strip(),
        references=" ".join(str(message.get("References", "")).split()), text=text, html=html,
        attachments=tuple(attachments),
        read_receipt_to=one_line(str(message.get("Disposition-Notification-To", ""))).strip(),
        defects=len(getattr(message, "defects", [])))


def part_payload(raw: bytes, part_id: str) -> tuple[bytes, str, str] | None:
    """(bytes, content type, file name) of one part, by the id ``parse_message`` gave it."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
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
