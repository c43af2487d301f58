"""Read receipts and delivery reports received about a message this mailbox sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache

from mailproto.mime.receipts import Report, parse_report
from mss import subjects

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
    return [r for r in reports if r.original_message_id.strip() == wanted] + _integration_failures(
        access=access, summary=summary, limit=limit)


@dataclass(frozen=True)
class IntegrationFailure:
    """A "[KO Intégration système !][<code>] <subject>" plain message (ANS IG v1.1.3: what a
    platform sends when it could not integrate a document and no read receipt was asked),
    read from the index row alone: the code, and the sent message it names when found."""

    error_code: str
    original_subject: str
    original: MessageSummary | None
    error_label: str = ""


def _failure_rows(*, mailbox_id: int, since: dt.datetime | None, limit: int) -> list[MessageSummary]:
    rows = MessageSummary.objects.filter(folder__mailbox=mailbox_id,
                                         subject__startswith=subjects.INTEGRATION_KO_PREFIX).exclude(
        folder__role__in=[Folder.Role.SENT, Folder.Role.DRAFTS])
    if since is not None:
        rows = rows.filter(date__gte=since - REPORT_WINDOW)
    return list(rows.order_by("date")[:limit])


def _integration_failures(*, access: MailAccess, summary: MessageSummary, limit: int) -> list[Report]:
    """The KO plain messages that name ``summary`` (by In-Reply-To, else by its subject):
    looked for only when it carried a health document package, the only kind they answer
    (the subject lookup is no index walk every sent message's page should pay)."""
    if not summary.att_xdm:
        return []
    found = []
    for row in _failure_rows(mailbox_id=access.mailbox.pk, since=summary.date, limit=limit):
        read = subjects.integration_ko_read(row.subject)
        if read and (row.in_reply_to.strip() == summary.message_id.strip()
                     or read[1] == summary.subject.strip()):
            found.append(Report("mdn", summary.message_id, row.sender_address, "processed", row.date,
                                error_code=read[0], failed=True))
    return found


def integration_failure_of(*, summary: MessageSummary) -> IntegrationFailure | None:
    """For a received KO plain message: what it says, and the sent message it is about
    (by In-Reply-To, else the newest sent one with the subject it names)."""
    read = subjects.integration_ko_read(summary.subject)
    if read is None:
        return None
    sent = MessageSummary.objects.filter(folder__mailbox=summary.folder.mailbox_id,
                                         folder__role=Folder.Role.SENT)
    original = None
    if summary.in_reply_to:
        original = sent.filter(message_id=summary.in_reply_to.strip()).first()
    if original is None and read[1]:
        original = sent.filter(subject=read[1]).order_by("-date").first()
    return IntegrationFailure(error_code=read[0], original_subject=read[1], original=original)


def _report_key(row: MessageSummary) -> str:
    return f"mssweb:report3:{row.folder_id}:{row.folder.uidvalidity}:{row.uid}"
