"""Keep the local index in step with the operator's IMAP server.

``mailbox_sync`` asks for every folder's counters in one round trip (LIST-STATUS at a first
sync, then STATUS of the INBOX, LIST and STATUS of the others, pipelined: see
``ImapSession.folder_statuses``) and only opens the folders that changed; a pooled
connection watching the INBOX asks a NOOP instead of its STATUS. ``folder_sync`` then does
one of three things:

* initial (or resumed) sync: UIDs newest first, summaries in batches, each batch committed,
  so the first screen of a 100,000-message INBOX is there within a second and a crash
  resumes where it stopped (a folder's HIGHESTMODSEQ is recorded only once complete);
* incremental: ``UID FETCH 1:* (FLAGS) (CHANGEDSINCE n VANISHED)`` gives changed flags,
  new UIDs and expunged UIDs in one round trip (QRESYNC, RFC 7162);
* fallback for servers without CONDSTORE: UID SEARCH + FLAGS of everything, diffed.

A UIDVALIDITY change discards the folder's index and starts again. Rows are written with
raw multi-row INSERTs: building 100,000 model instances would cost more than the IMAP fetch.
A thread reads the FETCH answers and hands them over in pieces of a few hundred messages
as they arrive; this thread parses and stores them. Big initial syncs fork a writer
process that stores every row and parses the pieces it has time for, so that the parser
(the bottleneck in CPython) has this process to itself; a thread writes where forking is
off.
Folders still empty at a first sync are recorded from their STATUS without being opened.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import logging
import multiprocessing
import multiprocessing.connection  # noqa: F401 - loaded here, not while a sync forks its writer
import multiprocessing.queues  # noqa: F401
import multiprocessing.sharedctypes  # noqa: F401
import os
import queue
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from .imap.session import FolderStatus, ImapSession
from .imap.summaries import FlagsRecord, SummaryRecord, parse_summary_units
from .models import Folder, Mailbox, MessageSummary

logger = logging.getLogger(__name__)

FIRST_BATCH = 300  # what the first screen needs, fetched before anything else
BATCH = 2000
ROLE_ORDER = {"inbox": 0, "sent": 1, "drafts": 2, "archive": 3, "junk": 5, "trash": 6, "": 4}


@dataclass
class FolderReport:
    name: str
    mode: str = "unchanged"  # unchanged | initial | incremental | full-diff | reset
    added: int = 0
    updated: int = 0
    removed: int = 0


@dataclass
class SyncReport:
    folders: list[FolderReport] = field(default_factory=list)
    round_trips: int = 0

    @property
    def changed(self) -> bool:
        return any(f.mode != "unchanged" for f in self.folders)


# ------------------------------------------------------------------ raw SQL helpers

_COLUMNS = ["folder_id", *SummaryRecord._fields]


def _datetime_adapter() -> Callable[[Any], Any]:
    if connection.vendor == "sqlite":
        # Django stores naive UTC text on SQLite: the statement makes it from the epoch
        # seconds (see ``_date_placeholder``), a tenth of the cost of isoformat() in Python.
        return lambda value: value.timestamp() if value else None
    return lambda value: value


def _date_placeholder(sqlite: bool) -> str:
    """The date column's value in an INSERT: the bound epoch seconds turned into Django's
    ``YYYY-MM-DD HH:MM:SS`` text by SQLite (message dates have no fractions of a second)."""
    return "datetime(?, 'unixepoch')" if sqlite else "%s"


ROWS_PER_INSERT = 500  # 12,000 parameters: SQLite >= 3.32 allows 32,766, PostgreSQL 65,535


def _rows_per_insert() -> int:
    """500, or what an old SQLite library (999 parameters) allows."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(ROWS_PER_INSERT, limit // len(_COLUMNS)))
    return ROWS_PER_INSERT


def _summary_values(folder_id: int, records: Sequence[SummaryRecord]) -> list[Any]:
    """The rows' column values, flat, in ``_COLUMNS`` order, dates as the backend stores
    them: plain data that pickles fast for the writer process.

    On SQLite the booleans go as 0 and 1: Python's sqlite3 binds an int in ~60 ns but looks
    a bool up as a type to adapt, failing with a formatted AttributeError it discards
    (~440 ns), and a row has nine of them."""
    adapt = _datetime_adapter()
    width = len(_COLUMNS)
    date_at = _COLUMNS.index("date") - width
    as_ints = [i - width for i in _BOOLEAN_COLUMNS] if connection.vendor == "sqlite" else []
    values: list[Any] = []
    for record in records:
        values.append(folder_id)
        values.extend(record)
        values[date_at] = adapt(record.date)
        for at in as_ints:
            values[at] = 1 if values[at] else 0
    return values


_BOOLEAN_COLUMNS = [i for i, name in enumerate(_COLUMNS)
                    if MessageSummary._meta.get_field(name).get_internal_type() == "BooleanField"]


def _insert_values(values: list[Any]) -> int:
    """Rows in multi-row INSERTs (on PostgreSQL, COPY first: ``_copy_values``): each
    statement stores 500 rows in one call that runs without the GIL (row-by-row
    ``executemany`` hands the GIL back and forth 100,000 times with the parser during an
    initial sync).

    On SQLite the statements go to the sqlite3 cursor itself, with ``?`` placeholders:
    Django's wrapper would rewrite each 12,500-placeholder statement with a regex at every
    call, about 8 µs a row, as much as SQLite's own work."""
    width = len(_COLUMNS)
    count = len(values) // width
    if not count:
        return 0
    quote = connection.ops.quote_name
    table = quote(MessageSummary._meta.db_table)
    columns = ", ".join(quote(c) for c in _COLUMNS)
    if connection.vendor == "postgresql" and _copy_values(values, table, columns):
        return count
    sqlite = connection.vendor == "sqlite"
    placeholders = ["?" if sqlite else "%s"] * width
    placeholders[_COLUMNS.index("date")] = _date_placeholder(sqlite)
    row = "(" + ", ".join(placeholders) + ")"
    conflict = f" ON CONFLICT ({quote('folder_id')}, {quote('uid')}) DO NOTHING"
    per_insert = _rows_per_insert()
    step = width * per_insert
    full, rest = divmod(count, per_insert)
    with connection.cursor() as wrapper:
        # The DB-API cursor under Django's; on SQLite, sqlite3's methods without the rewrite.
        cursor: Any = wrapper.cursor
        execute = functools.partial(sqlite3.Cursor.execute, cursor) if sqlite else cursor.execute
        executemany = (functools.partial(sqlite3.Cursor.executemany, cursor) if sqlite
                       else cursor.executemany)
        if full:
            sql = (f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - fixed identifiers
                   + ", ".join([row] * per_insert) + conflict)
            executemany(sql, [values[start:start + step] for start in range(0, full * step, step)])
        if rest:
            execute(f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                    + ", ".join([row] * rest) + conflict, values[full * step:])
    return count


def _copy_values(values: list[Any], table: str, columns: str) -> bool:
    """PostgreSQL: the rows through COPY, in a savepoint. Django's psycopg cursors bind on
    the client, so a 500-row INSERT was a 13,000-value statement built and parsed as text at
    every call: ~65 µs a row, against ~14 for COPY (10k initial sync 1.0 s → 0.5 s). COPY has no
    ON CONFLICT: if a row is already there (another writer got there first), it stores
    nothing and returns False, and the caller's INSERT skips the rows already stored.

    PostgreSQL text cannot hold NUL (Dovecot sends 0x80 instead; other servers may not):
    refused for that, the values are cleaned in place, for the INSERT too, and sent again."""
    width = len(_COLUMNS)
    try:
        with (transaction.atomic(), connection.cursor() as wrapper, connection.wrap_database_errors,
              wrapper.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy):
            for start in range(0, len(values), width):
                copy.write_row(values[start:start + width])
    except IntegrityError as exc:
        logger.info("COPY into the index refused (%s): rows inserted one statement at a time", exc)
        return False
    except DataError as exc:
        if not any(isinstance(v, str) and "\x00" in v for v in values):
            raise
        logger.warning("NUL characters in summaries replaced before storing them (%s)", exc)
        values[:] = [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in values]
        return _copy_values(values, table, columns)  # no NUL left: at most once more
    return True


def _insert_summaries(folder_id: int, records: Sequence[SummaryRecord]) -> int:
    return _insert_values(_summary_values(folder_id, records)) if records else 0


def _update_flags(folder_id: int, records: Iterable[FlagsRecord]) -> int:
    quote = connection.ops.quote_name
    table = quote(MessageSummary._meta.db_table)
    rows = [(r.seen, r.flagged, r.answered, r.draft, r.keywords, r.modseq, folder_id, r.uid)
            for r in records]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET seen = %s, flagged = %s, answered = %s, draft = %s, "  # noqa: S608
                f"keywords = %s, modseq = %s WHERE folder_id = %s AND uid = %s", rows)
    return len(rows)


def _delete_uids(folder: Folder, uids: Iterable[int]) -> int:
    uids = list(uids)
    removed = 0
    for start in range(0, len(uids), 500):
        removed += MessageSummary.objects.filter(folder=folder, uid__in=uids[start:start + 500]) \
            .delete()[0]
    return removed


def _known_uids(folder: Folder) -> set[int]:
    return set(MessageSummary.objects.filter(folder=folder).values_list("uid", flat=True))


# ------------------------------------------------------------------ sync

class _IndexWriter:
    """Stores batches of summaries on its own database connection, in a thread, while the
    caller reads and parses the next batch.

    SQLite and psycopg release the GIL while they execute, so the index writes overlap the
    parsing instead of adding to it. Each batch is committed on its own: a crash resumes
    after the last stored batch. Only used outside an outer transaction: the thread's
    connection must see the committed folder row, and an outer transaction on SQLite would
    hold the write lock it needs."""

    def __init__(self, folder_id: int) -> None:
        self.folder_id = folder_id
        self.added = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue[Sequence[SummaryRecord] | None] = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._run, name="mail-index-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (records := self._queue.get()) is not None:
                if self.error is None:
                    with transaction.atomic():
                        self.added += _insert_summaries(self.folder_id, records)
        except BaseException as exc:  # handed to the caller in close()  # noqa: BLE001
            self.error = exc
            while self._queue.get() is not None:  # drain so that put() never blocks
                pass
        finally:
            connection.close()

    def put(self, records: Sequence[SummaryRecord]) -> None:
        if self.error is not None:
            raise self.error
        self._queue.put(records)

    def close(self, *, check: bool = True) -> int:
        """Waits until what was queued is stored and returns the rows added; raises what the
        writer met unless ``check`` is off (the caller is already handling an error)."""
        self._queue.put(None)
        self._thread.join()
        if check and self.error is not None:
            raise self.error
        return self.added


class IndexWriterFailed(RuntimeError):
    """The writer process stopped before storing everything (its error is in the text)."""


def _write_in_child(inbox: Any, outbox: Any, folder_id: int, patient_domain: str,
                    done: Any) -> None:
    """The writer process: raw FETCH units to parse, or parsed rows' flat values, in; a
    count out. What is waiting is stored in one transaction, up to ``COMMIT_ROWS`` rows:
    the first screen is committed as soon as it comes, and a busy writer commits less
    often. ``done`` counts the units and rows handled, in shared memory, so that the
    parent knows how far behind this process is."""
    added = 0
    gc.disable()  # as in the parent: parsing makes many small objects and no cycles
    try:
        item = inbox.recv()
        while item is not None:
            with transaction.atomic():
                rows = 0
                while item is not None:
                    kind, count, payload = item
                    values = (_summary_values(folder_id, parse_summary_units(payload, patient_domain))
                              if kind == "units" else payload)
                    stored = _insert_values(values)
                    added, rows = added + stored, rows + stored
                    done.value += count
                    if rows >= COMMIT_ROWS or not inbox.poll():
                        break  # commit, then wait for more
                    item = inbox.recv()
            if item is not None:
                item = inbox.recv()
        outbox.put(("ok", added))
    except BaseException as exc:  # reported to the parent  # noqa: BLE001
        outbox.put(("error", f"{type(exc).__name__}: {exc}", added))
        with contextlib.suppress(EOFError, OSError):
            while inbox.recv() is not None:  # let the parent finish sending
                pass
    finally:
        connection.close()


class _ProcessWriter:
    """A forked process that stores the summaries of a big initial sync, and parses the
    pieces it has time for: parsing is the bottleneck in CPython, storing is a third of the
    work, and the second core takes both off the parser's.

    The parent hands a piece of raw FETCH units to the child when the child has next to
    nothing in hand (``offer``), and parses the piece itself otherwise, sending the child
    flat row values to store: the split follows how busy each process is (on a two-core
    machine with the IMAP server on the same cores, the child mostly stores), and the
    child, the only one writing, never waits for a lock. Forked before any reader thread
    exists, after closing this process's database connections, which neither may share."""

    def __init__(self, folder_id: int, patient_domain: str) -> None:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        self.folder_id = folder_id
        # A pipe written by this thread rather than a Queue: a Queue's feeder thread pickles
        # and writes only when the parser lets go of the GIL, and the child then starved.
        # A 1 MB pipe (Linux) lets the parser run a few pieces ahead of the child.
        reader, self._inbox = context.Pipe(duplex=False)
        with contextlib.suppress(AttributeError, OSError):
            fcntl.fcntl(self._inbox.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self._outbox: Any = context.Queue()
        self._done: Any = context.RawValue("q", 0)  # units and rows the child has stored
        self._sent = 0
        self._result: tuple[Any, ...] | None = None
        self._exit: int | None = None
        # os.fork rather than multiprocessing.Process: Celery's prefork children are daemonic
        # and multiprocessing refuses them children; the queues work across a plain fork.
        self._pid = os.fork()
        if self._pid == 0:  # the child: store, report, and leave without running any cleanup
            code = 0
            try:
                self._inbox.close()  # the parent's end: the child sees EOF if the parent dies
                _write_in_child(reader, self._outbox, folder_id, patient_domain, self._done)
            except BaseException:  # noqa: BLE001 - reported through the queue already
                code = 1
            finally:
                self._outbox.close()
                self._outbox.join_thread()
                os._exit(code)
        reader.close()  # the child's end: a send fails at once if the child is gone
        self._closed = threading.Event()
        threading.Thread(target=self._watch, name="mail-index-writer-watch", daemon=True).start()

    def _watch(self) -> None:
        """Kill a child that has stored nothing for ``WRITER_STALL_SECONDS`` while it had
        work in hand (a lock never granted, a hang): the parent, blocked on a full pipe or
        waiting for the result, would otherwise wait forever. Killed, the child fails the
        sync as any dying writer does: the folder stays incomplete and the next run resumes."""
        last, since = -1, time.monotonic()
        while not self._closed.wait(WRITER_WATCH_SECONDS):
            done = self._done.value
            if done != last or self._sent <= done:
                last, since = done, time.monotonic()
            elif time.monotonic() - since > WRITER_STALL_SECONDS and self._exit is None:
                logger.error("index writer process %d stored nothing for %.0f s with %d units in"
                             " hand: killed", self._pid, time.monotonic() - since, self._sent - done)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._pid, signal.SIGKILL)
                return

    def _alive(self) -> bool:
        if self._exit is None:
            pid, status = os.waitpid(self._pid, os.WNOHANG)
            if pid:
                self._exit = os.waitstatus_to_exitcode(status)
        return self._exit is None

    def _check_alive(self) -> None:
        if not self._alive() and self._outbox.empty():
            raise IndexWriterFailed(f"writer process exited ({self._exit})")

    def offer(self, units: list[list[bytes]]) -> bool:
        """Give the child this piece to parse unless it is busy with more than about one
        piece (to parse or to store); False: parse it here and ``put`` the records."""
        if self._sent - self._done.value > OFFER_BACKLOG:
            return False
        self._put(("units", len(units), units))
        return True

    def put(self, records: Sequence[SummaryRecord]) -> None:
        self._put(("values", len(records), _summary_values(self.folder_id, records)))

    def _put(self, item: tuple[str, int, Any]) -> None:
        self._sent += item[1]
        self._check_alive()
        if not self._outbox.empty():
            self._result = self._outbox.get()
            raise IndexWriterFailed(str(self._result[1]))
        try:
            self._inbox.send(item)  # waits while the pipe is full: the child is behind
        except OSError as exc:  # the child is gone (its error, if any, comes in close())
            raise IndexWriterFailed(f"writer process unreachable: {exc}") from exc

    def close(self, *, check: bool = True) -> int:
        """Waits until what was queued is stored; returns the rows added."""
        with contextlib.suppress(OSError):
            self._inbox.send(None)
        self._inbox.close()
        result = self._result
        while result is None:
            try:
                result = self._outbox.get(timeout=0.5)
            except queue.Empty:
                if not self._alive():
                    result = ("error", f"writer process exited ({self._exit})", 0)
        while self._alive():  # reap the child
            time.sleep(0.01)
        self._closed.set()
        if result[0] != "ok":
            if check:
                raise IndexWriterFailed(str(result[1]))
            return int(result[2]) if len(result) > 2 else 0
        return int(result[1])


COMMIT_ROWS = 2000  # the most rows stored in one transaction during a sync
PIPE_BYTES = 1 << 20  # the writer process's inbox: Linux's largest pipe for a user
OFFER_BACKLOG = 250  # units or rows the writer process may have in hand for an offer
PROCESS_WRITER_MIN_MESSAGES = 14000  # ~7 batches: below, forking costs more than it saves
WRITER_STALL_SECONDS = 120.0  # a writer process storing nothing with work in hand is killed
WRITER_WATCH_SECONDS = 2.0  # how often the parent looks


def _index_writer(folder_id: int, messages: int,
                  patient_domain: str) -> _IndexWriter | _ProcessWriter | None:
    """How a sync of ``messages`` new messages stores them: inline (small syncs: a writer
    thread would only fight the parser for the GIL; or inside an outer transaction), with
    a writer process that also parses for big initial syncs, or in a thread where forking
    is off or fails."""
    if messages < PROCESS_WRITER_MIN_MESSAGES or connection.in_atomic_block:
        return None
    if settings.MSSANTE_SYNC_WRITER_PROCESS:
        try:
            return _ProcessWriter(folder_id, patient_domain)
        except OSError as exc:  # no fork here: a thread will do
            logger.info("index writer process unavailable (%s): using a thread", exc)
    return _IndexWriter(folder_id)


def _fetch_and_store(session: ImapSession, folder: Folder, uids: Sequence[int],
                     report: FolderReport, limit: int | None = None) -> bool:
    """Summaries of ``uids`` (newest first), stored as they arrive: the first piece at once
    (the first screen), then in transactions of up to ``COMMIT_ROWS`` rows (a commit per
    piece of 250 cost a third more). Returns False when ``limit`` stopped it early (the
    rest comes with the next sync)."""
    ordered = sorted(uids, reverse=True)
    complete = limit is None or len(ordered) <= limit
    if limit is not None:
        ordered = ordered[:limit]
    batches = [ordered[:FIRST_BATCH]] + [ordered[start:start + BATCH]
                                         for start in range(FIRST_BATCH, len(ordered), BATCH)]
    patient_domain = settings.MSSANTE_PATIENT_DOMAIN
    writer = _index_writer(folder.pk, len(ordered), patient_domain)
    pending: list[SummaryRecord] = []
    first = True

    def store() -> None:
        if writer is not None:
            writer.put(pending)
        else:
            with transaction.atomic():
                report.added += _insert_summaries(folder.pk, pending)

    # Parsing builds thousands of small objects that the cyclic GC needlessly rescans.
    gc.disable()
    try:
        for units in session.summary_pieces(batches):
            if isinstance(writer, _ProcessWriter) and writer.offer(units):
                continue  # the writer process parses this piece
            pending += parse_summary_units(units, patient_domain)
            if first or len(pending) >= COMMIT_ROWS or isinstance(writer, _ProcessWriter):
                store()
                pending, first = [], False
        if pending:
            store()
    except BaseException:
        if pending and not isinstance(writer, _ProcessWriter):  # keep what was read
            try:
                store()
            except Exception as exc:  # noqa: BLE001 - the first error is the one raised
                logger.warning("sync of %s: %d parsed summaries not stored after an error (%s);"
                               " the next sync fetches them", folder, len(pending), exc)
        if writer is not None:  # keep what was read before the error, then re-raise it
            report.added += writer.close(check=False)
        raise
    else:
        if writer is not None:
            report.added += writer.close()
    finally:
        gc.enable()
    return complete


def folder_sync(*, session: ImapSession, folder: Folder, status: FolderStatus | None = None,
                initial_limit: int | None = None) -> FolderReport:
    """``initial_limit`` caps an initial sync (the first screen, fetched inline by the web
    before the worker takes over); the folder then stays "initial" until completed."""
    report = FolderReport(folder.name)
    known: set[int]
    if status is not None and _empty_at_first_sync(session, folder, status):
        # Nothing to fetch and STATUS told us every counter: no need to open it (rows left
        # by an interrupted first sync of messages since deleted go).
        report.mode = "initial"
        report.removed += MessageSummary.objects.filter(folder=folder).delete()[0]
        folder.uidvalidity, folder.uidnext = status.uidvalidity, status.uidnext
        folder.highestmodseq, folder.total, folder.unread = status.highestmodseq or 0, 0, 0
        folder.last_sync_at = timezone.now()
        folder.save()
        return report
    state = session.examine(folder.name)
    if folder.uidvalidity is not None and folder.uidvalidity != state.uidvalidity:
        logger.warning("UIDVALIDITY changed for %s: index of the folder rebuilt", folder)
        report.removed += MessageSummary.objects.filter(folder=folder).delete()[0]
        folder.highestmodseq = None
        report.mode = "reset"
    folder.uidvalidity = state.uidvalidity

    if folder.highestmodseq is None:
        report.mode = "initial" if report.mode == "unchanged" else report.mode
        server = session.uids()
        known = _known_uids(folder)
        report.removed += _delete_uids(folder, known - set(server))
        complete = _fetch_and_store(session, folder, [u for u in server if u not in known], report,
                                    initial_limit)
        folder.highestmodseq = (state.highestmodseq or 0) if complete else None
    elif session.condstore and state.highestmodseq is not None:
        if state.highestmodseq != folder.highestmodseq or state.uidnext != folder.uidnext:
            report.mode = "incremental"
            changes = session.changes_since(folder.highestmodseq)
            if session.qresync:
                report.removed += _delete_uids(folder, changes.vanished)
                known = _known_uids(folder) if changes.flags else set()
            else:
                on_server = set(session.uids())
                known = _known_uids(folder)
                report.removed += _delete_uids(folder, known - on_server)
                known &= on_server
            existing = [r for r in changes.flags if r.uid in known and not r.deleted]
            new = [r.uid for r in changes.flags if r.uid not in known]
            with transaction.atomic():
                report.updated += _update_flags(folder.pk, existing)
            _fetch_and_store(session, folder, new, report)
            folder.highestmodseq = state.highestmodseq
    else:
        report.mode = "full-diff"
        flags = {r.uid: r for r in session.all_flags()}
        known = _known_uids(folder)
        report.removed += _delete_uids(folder, known - set(flags))
        with transaction.atomic():
            report.updated += _update_flags(folder.pk, (flags[u] for u in known & set(flags)))
        _fetch_and_store(session, folder, [u for u in flags if u not in known], report)
        folder.highestmodseq = 0

    folder.uidnext = state.uidnext
    folder.total = status.messages if status else state.exists
    folder.unread = status.unseen if status else MessageSummary.objects.filter(
        folder=folder, seen=False).count()
    folder.last_sync_at = timezone.now()
    folder.save()
    return report


def _empty_at_first_sync(session: ImapSession, folder: Folder, status: FolderStatus) -> bool:
    """A folder never synced, empty, whose STATUS gave every counter (CONDSTORE): a new
    mailbox has several (Sent, Drafts, Trash...), and opening each costs a round trip."""
    return (status.messages == 0 and session.condstore
            and status.highestmodseq is not None and status.uidvalidity > 0
            and folder.highestmodseq is None and folder.uidvalidity is None)


def _needs_sync(folder: Folder, status: FolderStatus, condstore: bool) -> bool:
    if folder.highestmodseq is None or folder.uidvalidity != status.uidvalidity:
        return True
    if condstore and status.highestmodseq is not None:
        return status.highestmodseq != folder.highestmodseq
    # Without CONDSTORE, STATUS cannot reveal a flag change: look whenever counters move,
    # and always at the INBOX.
    return (status.uidnext != folder.uidnext or status.messages != folder.total
            or status.unseen != folder.unread or status.role == "inbox")


def _quick_sync(mailbox: Mailbox, session: ImapSession, folders: dict[str, Folder],
                only: Sequence[str] | None, report: SyncReport) -> bool:
    """The pooled-connection fast path: a NOOP on the folder the session watches (usually
    the INBOX) plus STATUS of the others, pipelined in one round trip. Dovecot answers a
    STATUS of a 100,000-message Maildir INBOX in ~60 ms once the session has looked at other
    mailboxes (~3 ms before), but a NOOP in ~0.2 ms, and with
    QRESYNC enabled the NOOP carries every change to the selected folder. Returns False
    when it cannot vouch for the mailbox (nothing watched, folders created or deleted)."""
    watched = folders.get(session.watching or "")
    if not session.condstore or watched is None or watched.highestmodseq is None:
        return False
    if only is not None and set(only) - {watched.name}:
        return False
    others = [] if only is not None else [
        name for name, folder in folders.items() if folder.selectable and name != watched.name]
    changed, names, statuses = session.quick_check(others)
    if names != set(folders):
        return False
    to_sync: list[tuple[Folder, FolderStatus | None]] = []
    for name in others:
        folder, values = folders[name], statuses.get(name, {})
        status = FolderStatus(
            name=name, delimiter=folder.delimiter, role=folder.role, selectable=True,
            messages=values.get(b"MESSAGES", 0), unseen=values.get(b"UNSEEN", 0),
            uidnext=values.get(b"UIDNEXT", 0), uidvalidity=values.get(b"UIDVALIDITY", 0),
            highestmodseq=values.get(b"HIGHESTMODSEQ"))
        if _needs_sync(folder, status, True):
            to_sync.append((folder, status))
        else:
            report.folders.append(FolderReport(name))
    if changed:
        to_sync.append((watched, None))  # last, so that it stays the watched folder
    else:
        report.folders.append(FolderReport(watched.name))
    for folder, folder_status in to_sync:
        report.folders.append(folder_sync(session=session, folder=folder, status=folder_status))
    return True


def mailbox_sync(*, mailbox: Mailbox, session: ImapSession, only: Sequence[str] | None = None,
                 initial_limit: int | None = None, keep_watching: bool = False) -> SyncReport:
    """Bring every folder (or those named in ``only``) of the mailbox in step.
    ``keep_watching``: the session goes back to a pool, so leave the INBOX selected."""
    report = SyncReport()
    session.enable_extensions()
    folders = {f.name: f for f in Folder.objects.filter(mailbox=mailbox)}
    if _quick_sync(mailbox, session, folders, only, report):
        report.round_trips = session.round_trips.count
        return report
    statuses = {s.name: s for s in session.folder_statuses(
        known=[name for name, folder in folders.items() if folder.selectable])}
    for name in set(folders) - set(statuses):
        folders.pop(name).delete()
    for name, status in statuses.items():
        folder = folders.get(name)
        if folder is None:
            folder = folders[name] = Folder.objects.create(
                mailbox=mailbox, name=name, delimiter=status.delimiter, role=status.role,
                selectable=status.selectable)
        elif (folder.role, folder.delimiter, folder.selectable) != (
                status.role, status.delimiter, status.selectable):
            folder.role, folder.delimiter, folder.selectable = (
                status.role, status.delimiter, status.selectable)
            folder.save(update_fields=["role", "delimiter", "selectable"])

    def order(status: FolderStatus) -> tuple[int, int, str]:
        # An INBOX never synced goes first (the first screen); otherwise last, so that the
        # session ends watching it and the next check is a NOOP.
        inbox_phase = 0 if folders[status.name].highestmodseq is None else 2
        return (inbox_phase if status.role == "inbox" else 1, ROLE_ORDER.get(status.role, 4),
                status.name.lower())

    for status in sorted(statuses.values(), key=order):
        folder = folders[status.name]
        if not status.selectable or (only is not None and status.name not in only):
            continue
        if _needs_sync(folder, status, session.condstore):
            report.folders.append(folder_sync(session=session, folder=folder, status=status,
                                              initial_limit=initial_limit))
        else:
            if (folder.total, folder.unread) != (status.messages, status.unseen):
                folder.total, folder.unread = status.messages, status.unseen
                folder.save(update_fields=["total", "unread"])
            report.folders.append(FolderReport(status.name))
    inbox = next((f for f in folders.values() if f.role == "inbox"), None)
    if (keep_watching and session.condstore and inbox is not None
            and inbox.highestmodseq is not None and session.watching != inbox.name and only is None):
        session.examine(inbox.name)  # watch the INBOX: the next check is one NOOP
    report.round_trips = session.round_trips.count
    return report
