"""One folder in step: initial (or resumed), incremental (QRESYNC), or a full diff."""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mailproto.imap import summaries
from mailproto.imap.session import FolderStatus, ImapSession
from mailproto.imap.summaries import SummaryRecord

from ..models import Folder, MessageSummary
from . import writers, writes
from .reports import FolderReport
from .tuning import TUNING

# The task's soft time limit stops the sync (what was stored stays), unless it cut the
# parse of the one slow message, which is then listed unreadable (summaries.POISON_SECONDS).
INTERRUPTIONS = (SoftTimeLimitExceeded,)

logger = logging.getLogger(__name__)


def _fetch_and_store(session: ImapSession, folder: Folder, uids: Sequence[int],
                     report: FolderReport, limit: int | None = None) -> bool:
    """Summaries of ``uids`` (newest first), stored as they arrive: the first piece at once
    (the first screen), then in transactions of up to ``TUNING.commit_rows`` rows (a commit per
    piece of 250 cost a third more). Returns False when ``limit`` stopped it early (the
    rest comes with the next sync)."""
    ordered = sorted(uids, reverse=True)
    complete = limit is None or len(ordered) <= limit
    if limit is not None:
        ordered = ordered[:limit]
    first_batch, batch = TUNING.first_batch, TUNING.batch
    batches = [ordered[:first_batch]] + [ordered[start:start + batch]
                                         for start in range(first_batch, len(ordered), batch)]
    patient_domain = settings.MSSANTE_PATIENT_DOMAIN
    writer = writers.index_writer_for(folder.pk, len(ordered), patient_domain)
    pending: list[SummaryRecord] = []
    first = True

    def store() -> None:
        if writer is not None:
            writer.put(pending)
        else:
            with transaction.atomic():
                report.added += writes.insert_summaries(folder.pk, pending)

    # Parsing builds thousands of small objects that the cyclic GC needlessly rescans.
    gc.disable()
    try:
        for units in session.summary_pieces(batches):
            if isinstance(writer, writers.ProcessWriter) and writer.offer(units):
                continue  # the writer process parses this piece
            pending += summaries.parse_summary_units(units, patient_domain, INTERRUPTIONS)
            if first or len(pending) >= TUNING.commit_rows or isinstance(writer, writers.ProcessWriter):
                store()
                pending, first = [], False
        if pending:
            store()
    except BaseException:
        if pending and not isinstance(writer, writers.ProcessWriter):  # keep what was read
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
        known = writes.known_uids(folder)
        report.removed += writes.delete_uids(folder, known - set(server))
        complete = _fetch_and_store(session, folder, [u for u in server if u not in known], report,
                                    initial_limit)
        folder.highestmodseq = (state.highestmodseq or 0) if complete else None
    elif session.condstore and state.highestmodseq is not None:
        if state.highestmodseq != folder.highestmodseq or state.uidnext != folder.uidnext:
            report.mode = "incremental"
            changes = session.changes_since(folder.highestmodseq)
            if session.qresync:
                report.removed += writes.delete_uids(folder, changes.vanished)
                known = writes.known_uids(folder) if changes.flags else set()
            else:
                on_server = set(session.uids())
                known = writes.known_uids(folder)
                report.removed += writes.delete_uids(folder, known - on_server)
                known &= on_server
            existing = [r for r in changes.flags if r.uid in known and not r.deleted]
            new = [r.uid for r in changes.flags if r.uid not in known]
            with transaction.atomic():
                report.updated += writes.update_flags(folder.pk, existing)
            _fetch_and_store(session, folder, new, report)
            folder.highestmodseq = state.highestmodseq
    else:
        report.mode = "full-diff"
        flags = {r.uid: r for r in session.all_flags()}
        known = writes.known_uids(folder)
        report.removed += writes.delete_uids(folder, known - set(flags))
        with transaction.atomic():
            report.updated += writes.update_flags(folder.pk, (flags[u] for u in known & set(flags)))
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
