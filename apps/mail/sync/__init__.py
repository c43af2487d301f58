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

from .folder import folder_sync
from .mailbox import SYNC_ORDER, mailbox_index_sync
from .reports import FolderReport, SyncReport
from .tuning import TUNING, SyncTuning
from .writers import IndexWriterFailed

__all__ = ["SYNC_ORDER", "TUNING", "FolderReport", "IndexWriterFailed", "SyncReport", "SyncTuning",
           "folder_sync", "mailbox_index_sync"]
