"""A whole mailbox in step: which folders changed, in what order to sync them."""

from __future__ import annotations

from collections.abc import Sequence

from mailproto.imap.session import FolderStatus, ImapSession

from ..models import Folder, Mailbox
from .folder import folder_sync
from .reports import FolderReport, SyncReport

# Which folders a sync does first after the INBOX (Sent before Drafts: replies
# and receipts name sent mail); the folder pane has its own order (FOLDER_DISPLAY_ORDER).
SYNC_ORDER = {"inbox": 0, "sent": 1, "drafts": 2, "archive": 3, "junk": 5, "trash": 6, "": 4}


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
    STATUS of a 100,000-message Maildir INBOX slowly once the session has looked at other
    mailboxes, but a NOOP at once, and with QRESYNC enabled the NOOP carries every change to
    the selected folder (``bench/sync.py``: ``nochange_sync_pooled_ms``). Returns False
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


def mailbox_index_sync(*, mailbox: Mailbox, session: ImapSession, only: Sequence[str] | None = None,
                       initial_limit: int | None = None, keep_watching: bool = False) -> SyncReport:
    """Bring the index of every folder (or those named in ``only``) in step over an open
    session; records nothing on the mailbox (``apps.mail.services.mailbox_sync`` does).
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
            # get_or_create: another sync of this mailbox may be creating it right now (a
            # sign-in's inline first screen and a worker); it then gets the same row.
            folder, _ = Folder.objects.get_or_create(
                mailbox=mailbox, name=name, defaults={
                    "delimiter": status.delimiter, "role": status.role, "selectable": status.selectable})
            folders[name] = folder
        elif (folder.role, folder.delimiter, folder.selectable) != (
                status.role, status.delimiter, status.selectable):
            folder.role, folder.delimiter, folder.selectable = (
                status.role, status.delimiter, status.selectable)
            folder.save(update_fields=["role", "delimiter", "selectable"])

    def order(status: FolderStatus) -> tuple[int, int, str]:
        # An INBOX never synced goes first (the first screen); otherwise last, so that the
        # session ends watching it and the next check is a NOOP.
        inbox_phase = 0 if folders[status.name].highestmodseq is None else 2
        return (inbox_phase if status.role == "inbox" else 1, SYNC_ORDER.get(status.role, 4),
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
