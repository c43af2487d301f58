"""Writes of the mail engine, by concern: reaching a mailbox (``access``, ``pool``), syncs
(``sync_runs``), message actions and bodies (``messages``), folders, drafts, building new
messages (``building``), receipts and the outbox. Everything a caller needs is here."""

from ..engine.access import (
    MailAccess,
    TokenProvider,
    mail_access_for_certificate,
    mail_access_for_request,
    mail_access_for_session_key,
    mailbox_session,
    mailbox_session_open,
    with_credentials,
)
from ..engine.body_indexing import mailbox_bodies_index, mailbox_bodies_index_in_worker
from ..engine.news import mailbox_news, mailbox_news_async
from ..engine.pool import POOL, SessionPool
from ..engine.sync_runs import (
    mailbox_first_screen,
    mailbox_sync,
    mailbox_sync_candidates,
    mailbox_sync_enqueue,
    mailbox_sync_in_worker,
    mailbox_sync_lock,
    mailbox_sync_offset,
)
from .building import OutgoingFile, message_build
from .drafts import draft_discard, draft_save
from .folders import folder_create, folder_delete, folder_empty, folder_rename
from .messages import (
    FLAG_COLUMNS,
    folder_counts_refresh,
    message_body_search,
    message_expunge,
    message_flag_set,
    message_keyword_set,
    message_move,
    message_raw_get,
)
from .outbox import (
    OUTBOX_MAX_ATTEMPTS,
    OUTBOX_SEND_HARD_LIMIT,
    OUTBOX_SEND_SOFT_LIMIT,
    outbox_due,
    outbox_enqueue,
    outbox_process,
    outbox_retry,
)
from .receipts import IntegrationFailure, integration_failure_of, message_reports
from .vacation import VacationRefused, vacation_available, vacation_get, vacation_set

__all__ = [
    "FLAG_COLUMNS", "OUTBOX_MAX_ATTEMPTS", "POOL", "MailAccess", "OutgoingFile", "SessionPool",
    "TokenProvider", "draft_discard", "draft_save", "folder_counts_refresh", "folder_create",
    "folder_delete", "folder_empty", "folder_rename", "mail_access_for_certificate",
    "mail_access_for_request", "mail_access_for_session_key", "mailbox_session",
    "mailbox_first_screen", "mailbox_session_open", "mailbox_sync", "mailbox_sync_candidates",
    "mailbox_sync_enqueue", "mailbox_news", "mailbox_news_async",
    "mailbox_sync_in_worker", "mailbox_sync_lock", "mailbox_sync_offset", "message_body_search",
    "message_build", "message_expunge",
    "message_flag_set", "message_keyword_set", "message_move", "message_raw_get",
    "message_reports",
    "IntegrationFailure",
    "integration_failure_of",
    "OUTBOX_SEND_HARD_LIMIT", "OUTBOX_SEND_SOFT_LIMIT", "outbox_due", "outbox_enqueue",
    "outbox_process", "outbox_retry",
    "with_credentials", "mailbox_bodies_index", "mailbox_bodies_index_in_worker",
    "VacationRefused", "vacation_available", "vacation_get", "vacation_set",
]
