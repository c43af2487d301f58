"""What a message list needs, fetched in bulk and picked out of raw FETCH responses.

We ask for the handful of header fields a list shows (not ENVELOPE) plus BODYSTRUCTURE,
and read them with a few anchored regular expressions per message, several times cheaper
than imapclient's token-by-token parser (``bench/micro.py``). Records are NamedTuples, immutable
and cheap enough to build 100,000 at a time, in the column order the index stores.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import time
from typing import NamedTuple

from mailproto.identifiers import ins_valid
from mailproto.mime.headers import (
    addresses_text,
    decode_text,
    message_ids,
    name_and_address,
    parse_date,
    split_headers,
)
from mailproto.mime.receipts import is_report_structure

logger = logging.getLogger(__name__)
UNKNOWN_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# A sender that names the patients' domain without being exactly one valid
# "<INS>@<domain>" address (two From addresses, a quoted or tagged local part, a
# subdomain, a trailing dot...): held for validation like an unknown patient, never let in.
SUSPECT_PATIENT = "?"
HEADER_FIELDS = b"FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES"


def summary_items(condstore: bool) -> bytes:
    modseq = b" MODSEQ" if condstore else b""
    return (b"(UID FLAGS" + modseq + b" RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS ("
            + HEADER_FIELDS + b")] BODYSTRUCTURE)")


class SummaryRecord(NamedTuple):
    uid: int
    modseq: int
    message_id: str
    in_reply_to: str
    references: str
    thread_key: str
    date: dt.datetime
    sender_name: str
    sender_address: str
    to_display: str
    recipients: str
    subject: str
    size: int
    seen: bool
    flagged: bool
    answered: bool
    draft: bool
    keywords: str
    has_attachment: bool
    att_pdf: bool
    att_xdm: bool
    att_cda: bool
    patient_ins: str
    is_report: bool  # a read receipt (MDN) or a delivery report (DSN)
    unreadable: bool = False  # could not be parsed: listed anyway, with its source at hand


class FlagsRecord(NamedTuple):
    uid: int
    modseq: int
    seen: bool
    flagged: bool
    answered: bool
    draft: bool
    deleted: bool
    keywords: str


_UID = re.compile(rb"UID (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_MODSEQ = re.compile(rb"MODSEQ \((\d+)\)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_QUOTED_HEADER = re.compile(rb'BODY\[HEADER\.FIELDS \([^)]*\)\] "((?:[^"\\]|\\.)*)"')


@functools.lru_cache(maxsize=1024)
def _flags(raw: bytes) -> tuple[bool, bool, bool, bool, bool, str]:
    """Cached: a folder's messages share a handful of flag combinations."""
    words = raw.split()
    keywords = " ".join(w.decode("utf-8", "replace") for w in words if not w.startswith(b"\\"))
    return (b"\\Seen" in words, b"\\Flagged" in words, b"\\Answered" in words,
            b"\\Draft" in words, b"\\Deleted" in words, keywords)


def thread_key(message_id: str, in_reply_to: str, references: str, uid: int) -> str:
    """The conversation a message belongs to: the first id of References, else its parent,
    else itself. Hashed so that the column stays short and indexable. ``references`` is
    ids joined by single spaces and ``in_reply_to`` one id, as ``parse_summary_unit`` makes
    them."""
    root = references.partition(" ")[0] or in_reply_to.partition(" ")[0] or message_id
    if not root:
        return f"uid:{uid}"
    return hashlib.sha1(root.lower().encode(), usedforsecurity=False).hexdigest()[:24]


def attachment_kinds(bodystructure: bytes) -> tuple[bool, bool, bool, bool]:
    """(any, pdf, IHE_XDM, CDA) from a raw BODYSTRUCTURE, without a full parse."""
    return _structure_kinds(bodystructure.lower())[:4]  # type: ignore[return-value]


def _structure_kinds(bs: bytes) -> tuple[bool, bool, bool, bool, bool]:
    """(any, pdf, IHE_XDM, CDA, a delivery report or read receipt) from a lower-cased
    BODYSTRUCTURE. ``bytes.find`` rather than ``in``: CPython 3.11's ``in`` first tries
    the needle as an integer and formats a TypeError it then discards (~100 ns each)."""
    find = bs.find
    if (find(b"name") < 0 and find(b"attachment") < 0 and find(b"pdf") < 0
            and find(b"xml") < 0 and find(b"xdm") < 0 and find(b"report") < 0):
        return _PLAIN  # most messages: every test below would fail
    xdm = find(b"ihe_xdm.zip") >= 0
    pdf = find(b'"application" "pdf"') >= 0 or find(b'.pdf"') >= 0
    cda = (find(b'"text" "xml"') >= 0 or find(b'"application" "xml"') >= 0
           or find(b"cda+xml") >= 0 or find(b'.xml"') >= 0)
    anything = xdm or pdf or cda or find(b'"attachment"') >= 0 or find(b'("name" ') >= 0
    return anything, pdf, xdm, cda, find(b"report") >= 0 and is_report_structure(bs)


_PLAIN = (False, False, False, False, False)


# Dovecot's answer to what we ask, whole: the head line of a unit, up to the header literal.
_CANONICAL_HEAD = re.compile(
    rb"\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\) (?:MODSEQ \((\d+)\) )?RFC822\.SIZE (\d+) "
    rb'INTERNALDATE "([^"]+)" BODY\[HEADER\.FIELDS \([^)]*\)\] ')


def parse_summary_unit(unit: list[bytes], patient_domain: str = "") -> SummaryRecord | None:
    """One FETCH response unit → a record; None for an unsolicited FETCH without UID.

    The usual shape (head line, header literal, BODYSTRUCTURE tail) is read with one
    anchored match; any other order or shape goes through the field-by-field path."""
    canonical = _CANONICAL_HEAD.fullmatch(unit[0]) if len(unit) == 3 else None
    if canonical:
        uid_bytes, flag_bytes, modseq_bytes, size_bytes, internal = canonical.groups()
        uid, modseq_value, size_value = int(uid_bytes), int(modseq_bytes or 0), int(size_bytes)
        header, structure = unit[1], unit[2]
    else:
        parsed = _parse_unit_slowly(unit)
        if parsed is None:
            return None
        uid, flag_bytes, modseq_value, size_value, internal, header, structure = parsed
    fields = split_headers(header)
    seen, flagged, answered, draft, _deleted, keywords = _flags(flag_bytes)
    anything, pdf, xdm, cda, report = _structure_kinds(structure.lower())
    message_id = _first_id(fields.get(b"message-id", b""))
    in_reply_to = _first_id(fields.get(b"in-reply-to", b""))
    raw_references = fields.get(b"references", b"")
    references = " ".join(message_ids(raw_references))[:2000] if raw_references else ""
    raw_date = fields.get(b"date")
    date = parse_date(raw_date) if raw_date else None
    if date is None and internal:
        date = parse_date(internal.replace(b"-", b" "))
    if date is None:
        date = UNKNOWN_DATE  # lists sort on date: never NULL, oldest of all
    sender_name, sender_address = name_and_address(decode_text(fields.get(b"from", b"")))
    to_text = decode_text(fields.get(b"to", b""))
    raw_cc = fields.get(b"cc")
    recipients = addresses_text(to_text + " " + decode_text(raw_cc)) if raw_cc else addresses_text(to_text)
    patient_ins = patient_sender(decode_text(fields.get(b"from", b"")), sender_address, patient_domain)
    # Positional tuple.__new__: cheaper than the NamedTuple keyword call (bench/micro.py).
    return tuple.__new__(SummaryRecord, (
        uid, modseq_value, message_id[:255], in_reply_to[:255], references,
        thread_key(message_id, in_reply_to, references, uid), date, sender_name[:200],
        sender_address[:254], to_text[:500], recipients[:2000],
        decode_text(fields.get(b"subject", b""))[:500], size_value, seen, flagged, answered,
        draft, keywords[:500], anything, pdf, xdm, cda, patient_ins, report, False))


def patient_sender(from_text: str, address: str, patient_domain: str) -> str:
    """The INS of a patient sender, ``SUSPECT_PATIENT`` for a From that names the patients'
    domain (or a subdomain of it) anywhere without being exactly one valid INS address, ""
    for anyone else. Fails closed: what cannot be read as one patient is held."""
    domain = patient_domain.lower()
    text = from_text.lower()
    if not domain or domain not in text:
        return ""
    local, _, host = address.lower().partition("@")
    exact = f"{local}@{domain}"
    at = text.find(exact)
    edges = (text[at - 1:at] if at > 0 else "", text[at + len(exact):at + len(exact) + 1])
    if (host != domain or text.count("@") != 1 or not ins_valid(local) or at < 0
            or edges[0] not in ("", "<", " ") or edges[1] not in ("", ">", " ")):
        return SUSPECT_PATIENT
    return local.upper()


# A summary parses in well under a millisecond (bench/hostile.py): one that was still being
# parsed this long after it started when something interrupted it is the slow message.
POISON_SECONDS = 1.0


def parse_summary_units(units: list[list[bytes]], patient_domain: str = "",
                        interruptions: tuple[type[BaseException], ...] = ()) -> list[SummaryRecord]:
    """The records of the summary units among ``units`` (others are notifications). A unit
    that cannot be parsed gives a minimal record flagged unreadable: one message must never
    fail the sync of its folder at every run.

    ``interruptions`` (the caller's time limit, e.g. Celery's soft limit) pass through,
    except when they cut the parse of a unit that had already run ``POISON_SECONDS``: that
    message is the slow one, and is listed unreadable like one that fails. An ordinary
    message that happened to be parsed when the time ran out is never flagged."""
    parse = parse_summary_unit
    clock = time.monotonic
    records = []
    for unit in units:
        if unit[0].find(b"HEADER.FIELDS") < 0:
            continue
        started = clock()
        try:
            record = parse(unit, patient_domain)
        except Exception as exc:  # noqa: BLE001 - the message is listed, flagged, and logged
            if isinstance(exc, interruptions) and clock() - started < POISON_SECONDS:
                raise
            record = unreadable_record(unit, exc)
        if record is not None:
            records.append(record)
    return records


_HEAD_UID = re.compile(rb"\bUID (\d+)")
_HEAD_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def unreadable_record(unit: list[bytes], error: BaseException) -> SummaryRecord | None:
    """What is certain of a message whose summary could not be parsed: its UID and size
    (from the server's own line), flagged unreadable; None without a UID."""
    head = unit[0][:4096]  # the server's line: bounded all the same
    uid = _HEAD_UID.search(head)
    if uid is None:
        return None
    size = _HEAD_SIZE.search(head)
    logger.warning("summary of uid %s unreadable (%s): listed as such", uid.group(1).decode(),
                   type(error).__name__)
    return SummaryRecord(
        uid=int(uid.group(1)), modseq=0, message_id="", in_reply_to="", references="",
        thread_key=thread_key("", "", "", int(uid.group(1))), date=UNKNOWN_DATE, sender_name="",
        sender_address="",
        to_display="", recipients="", subject="", size=int(size.group(1)) if size else 0, seen=False,
        flagged=False, answered=False, draft=False, keywords="", has_attachment=False, att_pdf=False,
        att_xdm=False, att_cda=False, patient_ins="", is_report=False, unreadable=True)


def _parse_unit_slowly(unit: list[bytes]) -> tuple[int, bytes, int, int, bytes, bytes, bytes] | None:
    """Any order of items, the header quoted rather than a literal, extra literals."""
    texts, literals = unit[0::2], unit[1::2]
    meta = b" ".join(texts)
    uid_match = _UID.search(meta)
    if not uid_match:
        return None
    flags_match = _FLAGS.search(meta)
    modseq_match = _MODSEQ.search(meta)
    size_match = _SIZE.search(meta)
    internal_match = _INTERNALDATE.search(meta)
    header = b""
    for index, text in enumerate(texts[:-1]):
        if text.rstrip().endswith(b"]") and b"HEADER.FIELDS" in text:
            header = literals[index]
            break
    else:
        quoted = _QUOTED_HEADER.search(meta)
        if quoted:
            header = quoted.group(1)
    position = meta.find(b"BODYSTRUCTURE ")
    return (int(uid_match.group(1)), flags_match.group(1) if flags_match else b"",
            int(modseq_match.group(1)) if modseq_match else 0,
            int(size_match.group(1)) if size_match else 0,
            internal_match.group(1) if internal_match else b"", header,
            meta[position:] if position >= 0 else b"")


def _first_id(raw: bytes) -> str:
    """The first ``<...>`` id of a header value (the common single-id case without regex)."""
    if not raw:
        return ""
    if raw[:1] == b"<" and raw[-1:] == b">" and raw.find(b" ") < 0 and raw.count(b"<") == 1:
        return raw.decode("ascii", "replace")
    found = message_ids(raw)
    return found[0] if found else ""


def parse_flags_unit(unit: list[bytes]) -> FlagsRecord | None:
    meta = b" ".join(unit[0::2])
    uid_match = _UID.search(meta)
    flags = _FLAGS.search(meta)
    if not uid_match or not flags:
        return None
    modseq = _MODSEQ.search(meta)
    seen, flagged, answered, draft, deleted, keywords = _flags(flags.group(1))
    return FlagsRecord(int(uid_match.group(1)), int(modseq.group(1)) if modseq else 0, seen,
                       flagged, answered, draft, deleted, keywords[:500])
