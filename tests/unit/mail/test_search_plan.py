"""Search as one types walks each folder's list index (issue 30): over the whole mailbox at
once, SQLite took the sender-sort index and sorted every match in a temporary B-tree
(~100 ms at 100k messages, against ~15 ms now: bench/README). The plan of every query the
search runs is pinned, so that a new index cannot capture it silently."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors import message_search

pytestmark = pytest.mark.django_db


def test_the_search_walks_the_list_index_of_each_folder() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the plan pinned is SQLite's (PostgreSQL's is checked by the benchmarks)")
    box = Mailbox.objects.create(address="big@medecin.mssante.test")
    folders = [Folder.objects.create(mailbox=box, name=name, role=role, uidvalidity=1)
               for name, role in (("INBOX", "inbox"), ("Sent", "sent"))]
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    MessageSummary.objects.bulk_create([
        MessageSummary(folder=folders[i % 2], uid=i + 1, date=base + dt.timedelta(minutes=i),
                       sender_name=f"Dr Martin {i % 50}", sender_address=f"martin{i % 50}@medecin.mssante.test",
                       subject=f"Sujet {i}", size=10, thread_key=f"t{i}") for i in range(3000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as queries:
        found = message_search(mailbox=box, query="martin 7")
    assert found and all("martin" in m.sender_address for m in found)
    assert [m.date for m in found] == sorted((m.date for m in found), reverse=True)
    searches = [q["sql"] for q in queries.captured_queries if "mail_messagesummary" in q["sql"]]
    assert len(searches) == 1  # one statement, a part per folder
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + searches[0])
        plan = [str(row[-1]) for row in cursor.fetchall()]
    # each folder's part walks its list index (no sort of its matches); only the merge of
    # the parts' first pages is sorted
    assert sum("USING INDEX message_list_idx" in step for step in plan) == 2, plan
    assert not any("message_sender_idx" in step for step in plan), plan
