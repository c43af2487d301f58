"""Who stores the summaries of a sync: inline, a thread, or a forked process.

Small syncs store inline (a writer thread would only fight the parser for the GIL). Big
initial syncs fork a writer process that stores every row and parses the pieces it has
time for, so that the parser (the bottleneck in CPython) has this process to itself; a
thread writes where forking is off or fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import logging
import multiprocessing
import multiprocessing.connection  # noqa: F401 - loaded here, not while a sync forks its writer
import multiprocessing.queues  # noqa: F401
import multiprocessing.sharedctypes  # noqa: F401
import os
import queue
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction

from mailproto.imap import summaries
from mailproto.imap.summaries import SummaryRecord

from . import writes
from .tuning import TUNING

logger = logging.getLogger(__name__)


class ThreadWriter:
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
                        self.added += writes.insert_summaries(self.folder_id, records)
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
    count out. What is waiting is stored in one transaction, up to ``TUNING.commit_rows`` rows:
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
                    values = (writes.summary_values(
                        folder_id, summaries.parse_summary_units(payload, patient_domain))
                        if kind == "units" else payload)
                    stored = writes.insert_values(values)
                    added, rows = added + stored, rows + stored
                    done.value += count
                    if rows >= TUNING.commit_rows or not inbox.poll():
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


class ProcessWriter:
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
            fcntl.fcntl(self._inbox.fileno(), fcntl.F_SETPIPE_SZ, TUNING.pipe_bytes)
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
        """Kill a child that has stored nothing for ``TUNING.writer_stall_seconds`` while it had
        work in hand (a lock never granted, a hang): the parent, blocked on a full pipe or
        waiting for the result, would otherwise wait forever. Killed, the child fails the
        sync as any dying writer does: the folder stays incomplete and the next run resumes."""
        last, since = -1, time.monotonic()
        while not self._closed.wait(TUNING.writer_watch_seconds):
            done = self._done.value
            if done != last or self._sent <= done:
                last, since = done, time.monotonic()
            elif time.monotonic() - since > TUNING.writer_stall_seconds and self._exit is None:
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
        if self._sent - self._done.value > TUNING.offer_backlog:
            return False
        self._put(("units", len(units), units))
        return True

    def put(self, records: Sequence[SummaryRecord]) -> None:
        self._put(("values", len(records), writes.summary_values(self.folder_id, records)))

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


def index_writer_for(folder_id: int, messages: int,
                  patient_domain: str) -> ThreadWriter | ProcessWriter | None:
    """How a sync of ``messages`` new messages stores them: inline (small syncs: a writer
    thread would only fight the parser for the GIL; or inside an outer transaction), with
    a writer process that also parses for big initial syncs, or in a thread where forking
    is off or fails."""
    if messages < TUNING.process_writer_min_messages or connection.in_atomic_block:
        return None
    if settings.MSSANTE_SYNC_WRITER_PROCESS:
        try:
            return ProcessWriter(folder_id, patient_domain)
        except OSError as exc:  # no fork here: a thread will do
            logger.info("index writer process unavailable (%s): using a thread", exc)
    return ThreadWriter(folder_id)
