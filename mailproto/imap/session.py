"""The IMAP commands the sync engine and user actions need, on one authenticated connection.

Every command goes through ``wire`` on the connection this session owns (taken over from
imapclient right after login) and its answer is read as response units, parsed by
``answers`` and ``summaries``. Every command sent is counted, because an incremental sync
has a round-trip budget. Pure Python: returns frozen dataclasses and NamedTuples, never
models.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import imapclient
from imapclient.response_parser import parse_response

from . import wire
from .answers import (
    STATUS_ITEMS,
    Changes,
    FolderStatus,
    SelectState,
    as_imaplib,
    folder_name,
    folder_role,
    is_notification,
    select_state,
    status_values,
)
from .errors import ImapCommandError, ImapUnavailable
from .summaries import (
    FlagsRecord,
    SummaryRecord,
    parse_flags_unit,
    parse_summary_units,
    summary_items,
)
from .uids import MovedUids, parse_copyuid, parse_uid_set, quote_mailbox, uid_set

__all__ = ["Changes", "FolderStatus", "IdleState", "ImapSession", "MovedUids", "SelectState"]


@dataclass
class IdleState:
    """An IDLE under way on a session: its tag, and whether the server already reported a
    change before its go-ahead."""

    tag: bytes
    changed: bool = False

_APPENDUID = re.compile(rb"APPENDUID \d+ (\d+)")
_RFC822_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")



class ImapSession:
    """Takes over a logged-in imapclient connection: from here on, this session alone reads
    and writes its socket (``connection``)."""

    def __init__(self, client: imapclient.IMAPClient) -> None:
        self.capabilities = {c.upper() for c in client.capabilities()}
        self.connection = wire.Connection.take_over(client.socket(),
                                                    literal_plus=b"LITERAL+" in self.capabilities)
        self.round_trips = wire.RoundTrips()
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
        self.idle: IdleState | None = None  # IDLE under way (``imap.idle``)

    # -------------------------------------------------------------- plumbing
    def command(self, line: bytes, expected: bytes = b"") -> wire.Response:
        """A command this class has no method for (``imap.quota``), checked as the others."""
        return self._command(line, expected)

    def _command(self, line: bytes, expected: bytes = b"", literal: bytes | None = None) -> wire.Response:
        response = wire.command(self.connection, line, self.round_trips, literal)
        self._check(line, response, expected)
        return response

    def _check(self, line: bytes, response: wire.Response, expected: bytes = b"") -> None:
        if response.status != b"OK":
            raise ImapCommandError(f"{line.split(b' ')[0].decode()} → {response.status.decode()} "
                                   f"{response.text.decode('utf-8', 'replace')}")
        self._check_notifications(response.units, expected)

    def _check_notifications(self, units: list[list[bytes]], expected: bytes) -> None:
        if any(is_notification(unit, expected) for unit in units):
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
        """LOGOUT when the server still listens, and the socket closed in any case."""
        try:
            if self.idle is not None:
                wire.idle_end(self.connection, self.idle.tag)
            wire.command(self.connection, b"LOGOUT")
        except ImapUnavailable:
            pass
        finally:
            self.connection.close()

    # -------------------------------------------------------------- folders
    def folder_statuses(self, known: Sequence[str] = ()) -> list[FolderStatus]:
        """Every folder with its counters, in one round trip.

        A mailbox seen before (``known``: its selectable folders in the index) is asked
        STATUS of the INBOX first, then LIST, then STATUS of the others, pipelined, rather
        than LIST-STATUS: Dovecot (2.3, Maildir, list index) answers a STATUS of a 100,000-
        message INBOX in a few milliseconds as a session's first mailbox command but some
        twenty times slower once any other mailbox was looked at, LIST-STATUS included
        (``bench/sync.py``: ``nochange_sync_fresh_login_ms``). A first sync knows no folder: LIST-STATUS
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
            units, completions = wire.pipeline(self.connection, lines, self.round_trips)
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
            result.append(FolderStatus(
                name=name, delimiter=delim, role=folder_role(name, flags), selectable=selectable,
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
                flags, delimiter, raw_name = parse_response(as_imaplib(unit, 7))
                delim = delimiter.decode() if isinstance(delimiter, bytes) else ""
                listed[folder_name(raw_name)] = (delim, tuple(f.lower() for f in flags))
            elif head.startswith(b"* STATUS "):
                raw_name, values = parse_response(as_imaplib(unit, 9))
                statuses[folder_name(raw_name)] = status_values(values)
            elif is_notification(unit, b""):
                self.dirty = True
        return listed, statuses

    def folder_status(self, name: str) -> dict[bytes, int]:
        items = STATUS_ITEMS + (b" HIGHESTMODSEQ" if self.condstore else b"")
        response = self._command(self._status_line(name, items))
        for unit in response.units:
            if unit[0].startswith(b"* STATUS "):
                _, values = parse_response(as_imaplib(unit, 9))
                return status_values(values)
        return {}

    def examine(self, name: str) -> SelectState:
        """Select read-only; with CONDSTORE enabled the answer carries HIGHESTMODSEQ."""
        response = self._command(b"EXAMINE " + quote_mailbox(name), expected=b"SELECT")
        self.selected, self.readonly = name, True
        self.watching, self.dirty = name, False
        return select_state(response)

    def select(self, name: str) -> SelectState:
        response = self._command(b"SELECT " + quote_mailbox(name), expected=b"SELECT")
        self.selected, self.readonly = name, False
        self.watching, self.dirty = name, False
        return select_state(response)

    def quick_check(self, others: Sequence[str]) -> tuple[bool, set[str], dict[str, dict[bytes, int]]]:
        """One pipelined round trip: NOOP on the watched folder (did the server report a
        change?), the folder names (none created or deleted?) and STATUS of ``others``."""
        items = STATUS_ITEMS + (b" HIGHESTMODSEQ" if self.condstore else b"")
        lines = [b"NOOP", b'LIST "" "*"'] + [self._status_line(name, items) for name in others]
        units, completions = wire.pipeline(self.connection, lines, self.round_trips)
        for line, completion in zip(lines, completions, strict=True):
            self._check(line, completion)
        listed, statuses = self._list_units(units)
        return self.dirty, set(listed), statuses

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
        for line, response in wire.stream(self.connection, lines, self.round_trips):
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
                    size = _RFC822_SIZE.search(head)
                    if size and int(size.group(1)) > limit:
                        raise ImapCommandError(f"message of {size.group(1).decode()} bytes over the limit")
                    return unit[1] if len(unit) > 1 else b""
        return None

    def search_header(self, folder: str, header: str, value: str) -> list[int]:
        if self.selected != folder:
            self.examine(folder)
        response = self._command(b"UID SEARCH CHARSET UTF-8 HEADER " + header.encode("ascii"),
                                 expected=b"SEARCH", literal=value.encode("utf-8"))
        for unit in response.units:
            if unit[0].startswith(b"* SEARCH"):
                return [int(x) for x in unit[0][8:].split()]
        return []

    def search_text(self, folder: str, text: str) -> list[int]:
        """UIDs whose headers or body contain ``text`` (IMAP SEARCH TEXT, done by the
        server: the index holds no bodies)."""
        if self.selected != folder:
            self.examine(folder)
        response = self._command(b"UID SEARCH CHARSET UTF-8 TEXT", expected=b"SEARCH",
                                 literal=text.encode("utf-8"))
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

    # -------------------------------------------------------------- writes
    def _writable(self, folder: str) -> None:
        if self.selected != folder or self.readonly:
            self.select(folder)
        else:
            # A pooled session may have selected this folder long ago: messages another
            # session added since (a sync's move, new mail) have UIDs it was never told
            # of, and Dovecot silently skips those in a UID command. One NOOP tells it.
            self._command(b"NOOP")
        # Our own writes make the server report changes we do not apply from its answers:
        # a NOOP can no longer vouch for the index.
        self.dirty = True

    def set_flag(self, folder: str, uids: Sequence[int], flag: bytes, value: bool) -> None:
        self._writable(folder)
        self._command(b"UID STORE " + uid_set(uids) + (b" +" if value else b" -") + b"FLAGS.SILENT ("
                      + flag + b")")

    def move(self, folder: str, uids: Sequence[int], destination: str) -> MovedUids | None:
        """MOVE (or COPY + EXPUNGE); returns the new UIDs when the server tells them
        (COPYUID), so the index can follow the messages instead of waiting for a sync."""
        self._writable(folder)
        target = uid_set(uids) + b" " + quote_mailbox(destination)
        if b"MOVE" in self.capabilities:
            response = self._command(b"UID MOVE " + target)
        else:
            response = self._command(b"UID COPY " + target)
            self._delete_for_good(uids)
        for text in [response.text, *(unit[0] for unit in response.units)]:
            moved = parse_copyuid(text)
            if moved is not None:
                return moved
        return None

    def expunge(self, folder: str, uids: Sequence[int]) -> None:
        """These messages gone for good (UIDPLUS's UID EXPUNGE: no other message deleted)."""
        self._writable(folder)
        self._delete_for_good(uids)

    def _delete_for_good(self, uids: Sequence[int]) -> None:
        self._command(b"UID STORE " + uid_set(uids) + b" +FLAGS.SILENT (\\Deleted)")
        self._command(b"UID EXPUNGE " + uid_set(uids))

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
        response = self._command(b"APPEND " + quote_mailbox(folder) + b" (" + b" ".join(flags) + b")",
                                 literal=message)
        match = _APPENDUID.search(response.text)
        return int(match.group(1)) if match else None
