"""Every list, sort and search query of the index, planned on the engine the suite runs on
(SQLite, then PostgreSQL in `make test`), over a folder big enough for the planner to
choose as it would at 100k (issue 30): each must walk the index pinned here and stop at its
page, never sort the folder. A new index, or a query changed, that captures a plan fails
here before a benchmark notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors import message_page, message_search, thread_messages

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ROWS = 20_000


@pytest.fixture(scope="module")
def big_folder(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> tuple[Mailbox, Folder]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        box = Mailbox.objects.create(address="plans@medecin.mssante.test")
        inbox = Folder.objects.create(mailbox=box, name="INBOX", role="inbox", uidvalidity=1)
        sent = Folder.objects.create(mailbox=box, name="Sent", role="sent", uidvalidity=1)
        base = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        MessageSummary.objects.bulk_create([
            MessageSummary(folder=inbox if i % 5 else sent, uid=i + 1, date=base + dt.timedelta(minutes=i),
                           sender_name=f"Dr Martin {i % 300}", sender_address=f"m{i % 300}@medecin.mssante.test",
                           subject=f"Compte rendu {i % 997}", size=10, thread_key=f"t{i // 3}",
                           seen=bool(i % 4), has_attachment=not i % 7)
            for i in range(ROWS)], batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    yield box, inbox
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        box.delete()


def plan_of(run: Callable[[], object]) -> str:
    """The plan of the one index query ``run`` makes, as the engine words it."""
    with CaptureQueriesContext(connection) as queries:
        run()
    sql = [q["sql"] for q in queries.captured_queries if "mail_messagesummary" in q["sql"]]
    assert sql, "no query of the index"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql[0])
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql[0])
        return "\n".join(row[0] for row in cursor.fetchall())


def sorts_the_folder(plan: str) -> bool:
    return "TEMP B-TREE" in plan if connection.vendor == "sqlite" else "Sort" in plan


@pytest.mark.parametrize(("name", "sort", "only", "index"), [
    ("newest first", "date", "", "message_list_idx"),
    ("oldest first", "ancien", "", "message_list_idx"),
    ("unread", "date", "nonlus", "message_list_idx"),
    ("with attachment", "date", "pj", "message_list_idx"),
    ("by sender", "expediteur", "", "message_sender_idx"),
    ("by subject", "objet", "", "message_subject_idx"),
])
def test_each_list_page_walks_its_index(big_folder: tuple[Mailbox, Folder], name: str, sort: str, only: str,
                                        index: str) -> None:
    _box, inbox = big_folder
    plan = plan_of(lambda: message_page(folder=inbox, sort=sort, only=only))
    assert index in plan and not sorts_the_folder(plan), f"{name}:\n{plan}"


def test_the_next_page_and_conversations_walk_the_list_index(big_folder: tuple[Mailbox, Folder]) -> None:
    _box, inbox = big_folder
    last = message_page(folder=inbox)[-1]
    plan = plan_of(lambda: message_page(folder=inbox, before=(last.date, last.uid)))
    assert "message_list_idx" in plan and not sorts_the_folder(plan), plan
    plan = plan_of(lambda: message_page(folder=inbox, threads=True))
    assert "message_list_idx" in plan and "message_thread_idx" in plan and not sorts_the_folder(plan), plan


def test_a_conversation_is_read_from_its_index(big_folder: tuple[Mailbox, Folder]) -> None:
    box, _inbox = big_folder
    plan = plan_of(lambda: thread_messages(mailbox=box, thread_key="t42"))
    assert "message_thread_idx" in plan, plan


def test_the_search_walks_each_folders_list_index(big_folder: tuple[Mailbox, Folder]) -> None:
    """A part per folder, each stopped at the page's size, never the sender-sort index. SQLite
    walks each folder's list index; PostgreSQL, estimating the matches of a substring few,
    filters the folder and sorts only those matches (a trigram index would be its next step)."""
    box, _inbox = big_folder
    plan = plan_of(lambda: message_search(mailbox=box, query="martin 7"))
    assert "message_sender_idx" not in plan, plan
    if connection.vendor == "sqlite":
        assert plan.count("message_list_idx") >= 2, plan  # what is sorted is each part's page, merged
    else:
        assert plan.count("Limit") >= 3 and "Merge Append" in plan, plan  # each part stopped, then merged
