"""Read receipts and delivery reports received about a message this mailbox sent."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from mailproto.mime.receipts import Report, parse_report

from ..engine.access import MailAccess, mailbox_session
from ..models import Folder, MessageSummary

REPORT_WINDOW = dt.timedelta(days=1)  # a report is never older than what it reports on
REPORT_CACHE_SECONDS = 7 * 24 * 3600  # a report never changes
REPORT_MAX_BYTES = 2 * 1024 * 1024


def message_reports(*, access: MailAccess, summary: MessageSummary, limit: int = 30) -> list[Report]:
    """The read receipts and delivery reports received about ``summary`` (a message sent
    from this mailbox). Candidates are the index rows the sync marked as reports: those
    that answer it (In-Reply-To, as read receipts usually do), then those that name no
    message, oldest first since it was sent (delivery reports); reports answering another
    message are not even fetched. Each is fetched and parsed once (then cached), and kept
    if it names this message."""
    if not summary.message_id:
        return []
    reports_here = MessageSummary.objects.filter(folder__mailbox=access.mailbox, is_report=True).exclude(
        folder__role__in=[Folder.Role.SENT, Folder.Role.DRAFTS]).select_related("folder")
    answering = list(reports_here.filter(in_reply_to=summary.message_id.strip()).order_by("date")[:limit])
    candidates = answering + list(reports_here.filter(
        in_reply_to="",
        date__gte=(summary.date or dt.datetime.min.replace(tzinfo=dt.UTC)) - REPORT_WINDOW)
        .order_by("date")[:max(0, limit - len(answering))])
    reports: list[Report] = []
    missing: list[MessageSummary] = []
    for row in candidates:
        cached = cache.get(_report_key(row))
        if cached is None:
            missing.append(row)
        elif cached:
            reports.append(cached)
    if missing:
        with mailbox_session(access=access) as session:
            for row in missing:
                raw = session.fetch_raw(row.folder.name, row.uid, limit=REPORT_MAX_BYTES)
                report = parse_report(raw) if raw else None
                cache.set(_report_key(row), report or False, REPORT_CACHE_SECONDS)
                if report:
                    reports.append(report)
    wanted = summary.message_id.strip()
    return [r for r in reports if r.original_message_id.strip() == wanted]


def _report_key(row: MessageSummary) -> str:
    return f"mssweb:report2:{row.folder_id}:{row.folder.uidvalidity}:{row.uid}"
