"""The IMAP commands the sync engine and user actions need, on one authenticated connection.

Bulk reads (LIST-STATUS, UID SEARCH, summaries, CONDSTORE/QRESYNC changes) go through
``wire`` and are parsed here; writes (STORE, MOVE, APPEND, EXPUNGE) use imapclient. Every
command sent is counted, because an incremental sync has a round-trip budget. Pure Python:
returns frozen dataclasses and NamedTuples, never models.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import imapclient
from imapclient import imap_utf7
from imapclient.exceptions import IMAPClientError
from imapclient.response_parser import parse_response

from . import wire
from .errors import ImapCommandError, ImapUnavailable
from .summaries import (
    FlagsRecord,
    SummaryRecord,
    parse_flags_unit,
    parse_summary_units,
    summary_items,
)

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


@dataclass(frozen=True)
class MovedUids:
    """Where moved or copied messages landed (UIDPLUS COPYUID, RFC 4315)."""

    uidvalidity: int
    pairs: tuple[tuple[int, int], ...]  # (source uid, destination uid)


_COPYUID = re.compile(rb"\[COPYUID (\d+) ([\d:,]+) ([\d:,]+)\]", re.I)


def expand_uid_set(raw: bytes) -> list[int]:
    """b"1:3,7" → [1, 2, 3, 7] (ranges either way round, as RFC 3501 allows)."""
    uids: list[int] = []
    for part in raw.split(b","):
        first, _, last = part.partition(b":")
        low, high = sorted((int(first), int(last or first)))
        uids.extend(range(low, high + 1))
    return uids


def parse_copyuid(text: bytes) -> MovedUids | None:
    found = _COPYUID.search(text)
    if not found:
        return None
    sources, targets = expand_uid_set(found.group(2)), expand_uid_set(found.group(3))
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


def _as_imaplib(unit: list[bytes], skip: int) -> list[Any]:
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


def _is_notification(unit: list[bytes], expected: bytes) -> bool:
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


def _status_values(values: Sequence[Any]) -> dict[bytes, int]:
    """(b"MESSAGES", 3, b"UNSEEN", 1, ...) → {b"MESSAGES": 3, b"UNSEEN": 1, ...}"""
    return {bytes(k).upper(): int(v) for k, v in zip(values[0::2], values[1::2], strict=False)}


_CODE = re.compile(rb"\[(UIDVALIDITY|UIDNEXT|HIGHESTMODSEQ) (\d+)\]")
_EXISTS = re.compile(rb"^\* (\d+) EXISTS")


class ImapSession:
    def __init__(self, client: imapclient.IMAPClient) -> None:
        self.client = client
        self.imap = client._imap
        self.round_trips = wire.RoundTrips()
        self.capabilities = {c.upper() for c in client.capabilities()}
        self.qresync = False
        self.condstore = False
        self.selected: str | None = None
        self.readonly = True
        self.enabled = False
        self.last_used = time.monotonic()
        # The folder left selected, and whether every change notification the server sent
        # about it since has been seen: then a NOOP is enough to know if it changed.
        self.watching: str | None = None
        self.dirty = True

    # -------------------------------------------------------------- plumbing
    def _command(self, line: bytes, expected: bytes = b"") -> wire.Response:
        response = wire.command(self.imap, line, self.round_trips)
        self._check(line, response, expected)
        return response

    def _check(self, line: bytes, response: wire.Response, expected: bytes = b"") -> None:
        if response.status != b"OK":
            raise ImapCommandError(f"{line.split(b' ')[0].decode()} → {response.status.decode()} "
                                   f"{response.text.decode('utf-8', 'replace')}")
        self._check_notifications(response.units, expected)

    def _check_notifications(self, units: list[list[bytes]], expected: bytes) -> None:
        if any(_is_notification(unit, expected) for unit in units):
            self.dirty = True

    def enable_extensions(self) -> None:
        """QRESYNC (which implies CONDSTORE) when offered: the incremental sync needs it.
        Once per connection: a pooled session keeps what it enabled."""
        if self.enabled:
            return
        self.enabled = True
        if b"QRESYNC" in self.capabilities:
            self._command(b"ENABLE QRESYNC")
            self.qresync = self.condstore = True
        elif b"CONDSTORE" in self.capabilities:
            self._command(b"ENABLE CONDSTORE")
            self.condstore = True

    def noop(self) -> None:
        """Checks that a pooled connection is still alive (servers drop idle ones)."""
        self._command(b"NOOP")

    def close(self) -> None:
        try:
            self.client.logout()
        except (OSError, IMAPClientError):
            with contextlib.suppress(OSError):
                self.client.shutdown()

    # -------------------------------------------------------------- folders
    def folder_statuses(self, known: Sequence[str] = ()) -> list[FolderStatus]:
        """Every folder with its counters, in one round trip.

        A mailbox seen before (``known``: its selectable folders in the index) is asked
        STATUS of the INBOX first, then LIST, then STATUS of the others, pipelined, rather
        than LIST-STATUS: Dovecot (2.3, Maildir, list index) answers a STATUS of a 100,000-
        message INBOX in ~3 ms as a session's first mailbox command but in ~75 ms once any
        other mailbox was looked at, LIST-STATUS included: 4 ms instead of ~80 for the
        no-change sync of a fresh connection. A first sync knows no folder: LIST-STATUS
        where offered. Folders the LIST shows and nothing answered for are asked after."""
        items = STATUS_ITEMS + (b" HIGHESTMODSEQ" if self.condstore else b"")
        list_status = b"LIST-STATUS" in self.capabilities and not known
        command = b'LIST "" "*"'
        if list_status:
            command += b" RETURN (SPECIAL-USE STATUS (" + items + b"))"
        elif b"SPECIAL-USE" in self.capabilities:
            command += b" RETURN (SPECIAL-USE)"
        if known:
            first = [name for name in known if name.upper() == "INBOX"]
            rest = [name for name in known if name.upper() != "INBOX"]
            lines = ([self._status_line(name, items) for name in first] + [command]
                     + [self._status_line(name, items) for name in rest])
            units, completions = wire.pipeline(self.imap, lines, self.round_trips)
            self._check(command, completions[len(first)])  # a STATUS may fail: a folder gone
        else:
            units = self._command(command).units
        listed, statuses = self._list_units(units)
        result = []
        for name, (delim, flags) in listed.items():
            selectable = b"\\noselect" not in flags and b"\\nonexistent" not in flags
            status = statuses.get(name)
            if status is None and selectable and not list_status:
                status = self.folder_status(name)
            status = status or {}
            role = "inbox" if name.upper() == "INBOX" else next(
                (ROLES[f] for f in flags if f in ROLES), "")
            result.append(FolderStatus(
                name=name, delimiter=delim, role=role, selectable=selectable,
                messages=status.get(b"MESSAGES", 0), unseen=status.get(b"UNSEEN", 0),
                uidnext=status.get(b"UIDNEXT", 0), uidvalidity=status.get(b"UIDVALIDITY", 0),
                highestmodseq=status.get(b"HIGHESTMODSEQ")))
        return result

    @staticmethod
    def _status_line(name: str, items: bytes) -> bytes:
        return b"STATUS " + quote_mailbox(name) + b" (" + items + b")"

    def _list_units(self, units: list[list[bytes]]) -> tuple[
            dict[str, tuple[str, tuple[bytes, ...]]], dict[str, dict[bytes, int]]]:
        """The folders (delimiter, lowered flags) and the statuses in LIST and STATUS answers;
        a change reported meanwhile on the selected folder marks the session dirty."""
        listed: dict[str, tuple[str, tuple[bytes, ...]]] = {}
        statuses: dict[str, dict[bytes, int]] = {}
        for unit in units:
            head = unit[0]
            if head.startswith(b"* LIST "):
                flags, delimiter, raw_name = parse_response(_as_imaplib(unit, 7))
                delim = delimiter.decode() if isinstance(delimiter, bytes) else ""
                listed[self._name(raw_name)] = (delim, tuple(f.lower() for f in flags))
            elif head.startswith(b"* STATUS "):
                raw_name, values = parse_response(_as_imaplib(unit, 9))
                statuses[self._name(raw_name)] = _status_values(values)
            elif _is_notification(unit, b""):
                self.dirty = True
        return listed, statuses

    def folder_status(self, name: str) -> dict[bytes, int]:
        items = STATUS_ITEMS + (b" HIGHESTMODSEQ" if self.condstore else b"")
        response = self._command(self._status_line(name, items))
        for unit in response.units:
            if unit[0].startswith(b"* STATUS "):
                _, values = parse_response(_as_imaplib(unit, 9))
                return _status_values(values)
        return {}

    @staticmethod
    def _name(raw: Any) -> str:
        if isinstance(raw, int):
            raw = str(raw).encode()
        if isinstance(raw, bytes):
            return imap_utf7.decode(raw)
        return str(raw)

    def examine(self, name: str) -> SelectState:
        """Select read-only; with CONDSTORE enabled the answer carries HIGHESTMODSEQ."""
        response = self._command(b"EXAMINE " + quote_mailbox(name), expected=b"SELECT")
        self.selected, self.readonly = name, True
        self.watching, self.dirty = name, False
        return self._select_state(response)

    def select(self, name: str) -> SelectState:
        response = self._command(b"SELECT " + quote_mailbox(name), expected=b"SELECT")
        self.selected, self.readonly = name, False
        self.watching, self.dirty = name, False
        return self._select_state(response)

    def quick_check(self, others: Sequence[str]) -> tuple[bool, set[str], dict[str, dict[bytes, int]]]:
        """One pipelined round trip: NOOP on the watched folder (did the server report a
        change?), the folder names (none created or deleted?) and STATUS of ``others``."""
        items = STATUS_ITEMS + (b" HIGHESTMODSEQ" if self.condstore else b"")
        lines = [b"NOOP", b'LIST "" "*"'] + [self._status_line(name, items) for name in others]
        units, completions = wire.pipeline(self.imap, lines, self.round_trips)
        for line, completion in zip(lines, completions, strict=True):
            self._check(line, completion)
        listed, statuses = self._list_units(units)
        return self.dirty, set(listed), statuses

    @staticmethod
    def _select_state(response: wire.Response) -> SelectState:
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

    # -------------------------------------------------------------- reads
    def uids(self) -> list[int]:
        """Every UID of the selected folder (ESEARCH keeps the answer compact)."""
        if b"ESEARCH" in self.capabilities:
            response = self._command(b"UID SEARCH RETURN (ALL) ALL", expected=b"SEARCH")
            for unit in response.units:
                if unit[0].startswith(b"* ESEARCH"):
                    _, _, rest = unit[0].partition(b" ALL ")
                    return parse_uid_set(rest) if rest else []
            return []
        response = self._command(b"UID SEARCH ALL", expected=b"SEARCH")
        for unit in response.units:
            if unit[0].startswith(b"* SEARCH"):
                return [int(x) for x in unit[0][8:].split()]
        return []

    def summaries(self, uids: Sequence[int], patient_domain: str = "") -> list[SummaryRecord]:
        if not uids:
            return []
        return [record for records in self.summary_batches([uids], patient_domain)
                for record in records]

    def summary_batches(self, batches: Iterable[Sequence[int]],
                        patient_domain: str = "") -> Iterator[list[SummaryRecord]]:
        """Summaries of each piece of the answers, parsed here (see ``summary_pieces``)."""
        for units in self.summary_pieces(batches):
            yield parse_summary_units(units, patient_domain)

    def summary_pieces(self, batches: Iterable[Sequence[int]]) -> Iterator[list[list[bytes]]]:
        """The raw FETCH answers for ``batches`` of UIDs, in pieces of a few hundred units as
        they arrive: a thread sends the next FETCHes and reads them while the caller parses
        (``summaries.parse_summary_units``, here or in another process) and stores."""
        items = summary_items(self.condstore)
        lines = [b"UID FETCH " + uid_set(uids) + b" " + items for uids in batches if uids]
        for line, response in wire.stream(self.imap, lines, self.round_trips):
            if response.status:
                self._check(line, response, expected=b"SUMMARY")
            else:
                self._check_notifications(response.units, expected=b"SUMMARY")
            yield response.units

    def fetch_raw(self, folder: str, uid: int, limit: int = 50 * 1024 * 1024) -> bytes | None:
        """The whole message (without setting \\Seen), or None when it is gone.

        A folder selected earlier on a pooled connection shows the server's view of then:
        a message that arrived since is not there until the folder is opened again, so a
        miss is retried once on a fresh EXAMINE before calling the message gone."""
        for attempt in range(2):
            if self.selected != folder or attempt:
                self.examine(folder)
            response = self._command(b"UID FETCH %d (RFC822.SIZE BODY.PEEK[])" % uid,
                                     expected=b"SUMMARY")
            for unit in response.units:
                head = unit[0]
                if b" FETCH " in head[:24] and (b"UID %d " % uid in head or b"UID %d)" % uid in head
                                                or len(unit) > 1):
                    size = re.search(rb"RFC822\.SIZE (\d+)", head)
                    if size and int(size.group(1)) > limit:
                        raise ImapCommandError(f"message of {size.group(1).decode()} bytes over the limit")
                    return unit[1] if len(unit) > 1 else b""
        return None

    def search_header(self, folder: str, header: str, value: str) -> list[int]:
        if self.selected != folder:
            self.examine(folder)
        literal = value.encode("utf-8")
        line = (b"UID SEARCH CHARSET UTF-8 HEADER " + header.encode("ascii")
                + b" {%d+}\r\n" % len(literal) + literal)
        response = self._command(line, expected=b"SEARCH")
        for unit in response.units:
            if unit[0].startswith(b"* SEARCH"):
                return [int(x) for x in unit[0][8:].split()]
        return []

    def search_text(self, folder: str, text: str) -> list[int]:
        """UIDs whose headers or body contain ``text`` (IMAP SEARCH TEXT, done by the
        server: the index holds no bodies)."""
        if self.selected != folder:
            self.examine(folder)
        literal = text.encode("utf-8")
        line = b"UID SEARCH CHARSET UTF-8 TEXT {%d+}\r\n" % len(literal) + literal
        response = self._command(line, expected=b"SEARCH")
        for unit in response.units:
            if unit[0].startswith(b"* SEARCH"):
                return [int(x) for x in unit[0][8:].split()]
        return []

    def changes_since(self, modseq: int) -> Changes:
        """Flag changes and (with QRESYNC) expunged UIDs since ``modseq``: one round trip."""
        if not self.condstore:
            raise ImapCommandError("CONDSTORE is not available")
        modifiers = b"(CHANGEDSINCE %d VANISHED)" % modseq if self.qresync else \
            b"(CHANGEDSINCE %d)" % modseq
        response = self._command(b"UID FETCH 1:* (FLAGS) " + modifiers, expected=b"CHANGES")
        vanished: list[int] = []
        flags: list[FlagsRecord] = []
        for unit in response.units:
            head = unit[0]
            if head.startswith(b"* VANISHED"):
                vanished.extend(parse_uid_set(head.rsplit(b" ", 1)[-1]))
            elif b" FETCH " in head[:24]:
                record = parse_flags_unit(unit)
                if record is not None:
                    flags.append(record)
        return Changes(tuple(vanished), tuple(flags))

    def all_flags(self) -> list[FlagsRecord]:
        """Fallback for servers without CONDSTORE: every UID with its flags."""
        response = self._command(b"UID FETCH 1:* (FLAGS)", expected=b"CHANGES")
        records = [parse_flags_unit(u) for u in response.units if b" FETCH " in u[0][:24]]
        return [r for r in records if r is not None]

    def idle_wait(self, folder: str, timeout: float) -> bool:
        """IDLE on ``folder`` until the server reports a change or ``timeout`` passes.
        Returns True when something changed (the caller then syncs the folder)."""
        try:
            self.client.select_folder(folder, readonly=True)
            self.selected, self.readonly, self.dirty = folder, True, True
            self.client.idle()
            try:
                events = self.client.idle_check(timeout=timeout)
            finally:
                self.client.idle_done()
        except (OSError, IMAPClientError) as exc:
            raise ImapUnavailable(str(exc)) from exc
        self.round_trips.count += 2
        return any(len(event) > 1 and event[1] in (b"EXISTS", b"EXPUNGE", b"FETCH")
                   or (event and event[0] == b"VANISHED") for event in events)

    # -------------------------------------------------------------- writes
    def _writable(self, folder: str) -> None:
        # Through imaplib, so that its own state allows the UID commands that follow.
        if self.selected != folder or self.readonly:
            try:
                self.client.select_folder(folder)
            except (OSError, IMAPClientError) as exc:
                raise ImapUnavailable(str(exc)) from exc
            self.round_trips.count += 1
            self.selected, self.readonly = folder, False
        # imaplib swallows the server's change notifications: a NOOP can no longer vouch.
        self.dirty = True

    def set_flag(self, folder: str, uids: Sequence[int], flag: bytes, value: bool) -> None:
        self._writable(folder)
        try:
            (self.client.add_flags if value else self.client.remove_flags)(list(uids), [flag],
                                                                            silent=True)
        except (OSError, IMAPClientError) as exc:
            raise ImapUnavailable(str(exc)) from exc
        self.round_trips.count += 1

    def move(self, folder: str, uids: Sequence[int], destination: str) -> MovedUids | None:
        """MOVE (or COPY + EXPUNGE); returns the new UIDs when the server tells them
        (COPYUID), so the index can follow the messages instead of waiting for a sync."""
        self._writable(folder)
        target = uid_set(uids) + b" " + quote_mailbox(destination)
        if b"MOVE" in self.capabilities:
            response = self._command(b"UID MOVE " + target)
        else:
            response = self._command(b"UID COPY " + target)
            self._command(b"UID STORE " + uid_set(uids) + b" +FLAGS.SILENT (\\Deleted)")
            self._command(b"UID EXPUNGE " + uid_set(uids))
        for text in [response.text, *(unit[0] for unit in response.units)]:
            moved = parse_copyuid(text)
            if moved is not None:
                return moved
        return None

    def expunge(self, folder: str, uids: Sequence[int]) -> None:
        self._writable(folder)
        try:
            self.client.add_flags(list(uids), [imapclient.DELETED], silent=True)
            self.client.uid_expunge(list(uids))
        except (OSError, IMAPClientError) as exc:
            raise ImapUnavailable(str(exc)) from exc
        self.round_trips.count += 2

    def create_folder(self, name: str) -> None:
        self._command(b"CREATE " + quote_mailbox(name))

    def rename_folder(self, old: str, new: str) -> None:
        self._command(b"RENAME " + quote_mailbox(old) + b" " + quote_mailbox(new))

    def delete_folder(self, name: str) -> None:
        if self.selected == name:
            self._command(b"UNSELECT")
            self.selected = self.watching = None
        self._command(b"DELETE " + quote_mailbox(name))

    def append(self, folder: str, message: bytes, flags: Sequence[bytes] = ()) -> int | None:
        """Store a message; returns its UID when the server says it (UIDPLUS)."""
        try:
            answer = self.client.append(folder, message, flags=list(flags))
        except (OSError, IMAPClientError) as exc:
            raise ImapUnavailable(str(exc)) from exc
        self.round_trips.count += 1
        match = re.search(rb"APPENDUID \d+ (\d+)", answer or b"")
        return int(match.group(1)) if match else None
