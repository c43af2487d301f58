"""The local full-text index of bodies, filled in the background after the summaries: a
worker fetches the first 64 KB of each message not indexed yet (newest first, INBOX first,
then every other folder), keeps its words (``mime.searchable``) and stores them
(``apps.mail.bodyindex``). Bounded in time per run; what is left is asked for again.
``MSSANTE_BODY_INDEX = False`` turns it off (the search then asks the server)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db.models import Case, IntegerField, Max, Value, When

from apps.core.crypto import session_reference
from apps.core.errors import MailAuthError, MailServerUnavailable, SessionExpired
from apps.core.locks import shared_lock
from apps.core.queue import task_enqueue
from mailproto.imap.prefixes import message_prefixes
from mailproto.mime.searchable import PREFIX, searchable_text

from ..bodyindex import bodies_pending, bodies_store
from ..models import Folder, Mailbox, MessageSummary
from .access import MailAccess, mail_access_for_session_key, mailbox_session

logger = logging.getLogger(__name__)

INDEX_TASK = "mail.mailbox_bodies_index_task"
BATCH = 100  # messages per FETCH (up to 6.4 MB in memory)
# One run is a slice: the rest goes to the back of the queue, behind the new-mail syncs
# that arrived meanwhile (a 100k mailbox's first pass takes minutes; in one run it held a
# worker process that long). Under the task's soft limit.
RUN_SECONDS = 20.0


def mailbox_bodies_index(*, access: MailAccess, budget: float = RUN_SECONDS) -> tuple[int, bool]:
    """Index what is not indexed yet, for up to ``budget`` seconds: (messages indexed,
    whether some are left). One run per mailbox at a time (others return at once).

    A full pass (a new mailbox) looks at every folder newest first; once one has
    completed, later runs look only at the summaries stored since (new mail, and moved
    messages, which get new rows)."""
    mailbox = access.mailbox
    with shared_lock(name=f"mssweb:bodies:{mailbox.pk}", timeout=int(budget) + 120) as acquired:
        if not acquired:
            return 0, False
        deadline = time.monotonic() + budget
        done = 0
        mailbox.refresh_from_db(fields=["bodies_indexed_through"])
        after = mailbox.bodies_indexed_through
        top = MessageSummary.objects.filter(folder__mailbox=mailbox).aggregate(top=Max("id"))["top"]
        folders = Folder.objects.filter(mailbox=mailbox).annotate(
            first=Case(When(role=Folder.Role.INBOX, then=Value(0)), default=Value(1),
                       output_field=IntegerField())).order_by("first", "name")
        with mailbox_session(access=access) as session:
            stopped = False  # by the slice's end, with work perhaps left
            for folder in folders:
                while not stopped:
                    pending = bodies_pending(folder_id=folder.pk, limit=BATCH, after_id=after)
                    if not pending:
                        break
                    prefixes = message_prefixes(session, folder.name, [uid for _, uid in pending], PREFIX)
                    # A message gone from the server meanwhile is indexed empty: the next
                    # sync removes its summary (and its index row with it).
                    bodies_store(mailbox_id=mailbox.pk, rows=[
                        (pk, searchable_text(prefixes.get(uid, b""))) for pk, uid in pending])
                    done += len(pending)
                    if len(pending) < BATCH:
                        break  # the folder is done: no query more to find nothing
                    stopped = time.monotonic() >= deadline
                # A run stops once it has indexed something and its time is up: every run
                # moves forward, however short its slice.
                stopped = stopped or (bool(done) and time.monotonic() >= deadline)
                if stopped:
                    break
        left = stopped
    Mailbox.objects.filter(pk=mailbox.pk).update(
        bodies_indexing=left, **({} if left or top is None else {"bodies_indexed_through": top}))
    if done:
        logger.info("indexed the text of %s messages of %s%s", done, mailbox.address,
                    " (more to come)" if left else "")
    return done, left


def mailbox_bodies_index_enqueue(*, mailbox: Mailbox, session_key: str | None) -> None:
    """Ask a worker to index new bodies (after a sync that added messages)."""
    if settings.MSSANTE_BODY_INDEX:
        task_enqueue(name=INDEX_TASK, args=[mailbox.pk, session_reference(session_key)])


def mailbox_bodies_index_in_worker(*, mailbox_id: int, session_key: str | None) -> int:
    """What ``mailbox_bodies_index_task`` does; asks for another run when time ran out.
    A session over or a server down stops it quietly: the next sync asks again."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None or not settings.MSSANTE_BODY_INDEX:
        return 0
    try:
        done, left = mailbox_bodies_index(access=mail_access_for_session_key(mailbox=mailbox,
                                                                            session_key=session_key))
    except (SessionExpired, MailAuthError, MailServerUnavailable) as exc:
        logger.info("body indexing of %s stopped: %s", mailbox.address, type(exc).__name__)
        return 0
    if left:
        mailbox_bodies_index_enqueue(mailbox=mailbox, session_key=session_key)
    return done
