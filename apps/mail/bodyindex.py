"""The local full-text index of message bodies, in the database's own full-text engine:
SQLite FTS5 (the embedded default) or PostgreSQL's tsvector with a French configuration
that ignores accents (``unaccent``, when the extension could be created). One row per
indexed message summary, gone with it (a trigger on SQLite, a cascading key on
PostgreSQL); the text is written by the body indexer (``engine.body_indexing``).

Vendor SQL lives here only. Queries are built from the words a user typed, each reduced
to letters and digits, so that no search syntax of either engine can be injected.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django.db import connection

# Table mail_bodyindex; PostgreSQL text search configuration mssante_fr (migration 0009).
MAX_WORDS = 8


def search_words(query: str) -> list[str]:
    """The query's words as both engines will read them: letters and digits only (an
    e-mail address or "J-3" becomes several words), at most ``MAX_WORDS``."""
    words: list[str] = []
    current: list[str] = []
    for char in unicodedata.normalize("NFC", query[:400]) + " ":
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    return words[:MAX_WORDS]


def _sqlite_match(mailbox_id: int, words: Sequence[str]) -> str:
    body = " AND ".join(f'"{w}"*' for w in words)
    return f'scope : "m{mailbox_id}" AND body : ({body})'


MAX_MATCHES = 1000  # the latest body matches a search looks at (ids grow with arrival)


def body_match_sql(*, mailbox_id: int, words: Sequence[str]) -> tuple[str, list[object]]:
    """SQL selecting the ids of the mailbox's summaries whose body holds every word (as a
    prefix: results as one types), with its parameters: the ``MAX_MATCHES`` most recently
    indexed. A word found in most of a 100k folder would otherwise hand the result page a
    set of 100,000 ids to sort by date (240 ms, bench/web.py), for a page of 50."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        return ("SELECT summary_id FROM mail_bodyindex WHERE mailbox_id = %s "
                "AND document @@ to_tsquery('mssante_fr', %s) ORDER BY summary_id DESC LIMIT %s",
                [mailbox_id, tsquery, MAX_MATCHES])
    return ("SELECT rowid FROM mail_bodyindex WHERE mail_bodyindex MATCH %s ORDER BY rowid DESC LIMIT %s",
            [_sqlite_match(mailbox_id, words), MAX_MATCHES])


def bodies_pending(*, folder_id: int, limit: int, after_id: int | None = None) -> list[tuple[int, int]]:
    """(summary id, uid) of the folder's messages not indexed yet: newest first in a full
    pass, or (``after_id``) only those stored after that summary id, newest stored first,
    read from the primary key's range instead of the whole folder."""
    indexed = ("SELECT 1 FROM mail_bodyindex b WHERE b.summary_id = s.id" if connection.vendor == "postgresql"
               else "SELECT 1 FROM mail_bodyindex b WHERE b.rowid = s.id")
    if after_id is None:
        where, order, params = "", "s.date DESC, s.uid DESC", [folder_id, limit]
    else:
        where, order, params = "AND s.id > %s ", "s.id DESC", [folder_id, after_id, limit]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.uid FROM mail_messagesummary s WHERE s.folder_id = %s " + where  # noqa: S608
            + "AND NOT EXISTS (" + indexed + ") ORDER BY " + order + " LIMIT %s", params)  # fixed SQL
        return [(int(row[0]), int(row[1])) for row in cursor.fetchall()]


def bodies_store(*, mailbox_id: int, rows: Sequence[tuple[int, str]]) -> None:
    """Index (summary id, text) pairs; a summary deleted meanwhile is skipped."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.executemany(
                "INSERT INTO mail_bodyindex (summary_id, mailbox_id, document) SELECT s.id, %s, "
                "to_tsvector('mssante_fr', %s) FROM mail_messagesummary s WHERE s.id = %s "
                "ON CONFLICT (summary_id) DO UPDATE SET document = EXCLUDED.document",
                [(mailbox_id, text, pk) for pk, text in rows])
        else:
            existing = _existing_ids([pk for pk, _ in rows])
            cursor.executemany("INSERT OR REPLACE INTO mail_bodyindex (rowid, scope, body) "
                               "VALUES (%s, %s, %s)",
                               [(pk, f"m{mailbox_id}", text) for pk, text in rows if pk in existing])


def _existing_ids(ids: Sequence[int]) -> set[int]:
    from .models import MessageSummary

    return set(MessageSummary.objects.filter(id__in=ids).values_list("id", flat=True))


def index_size_bytes() -> int:
    """The index's size on disk (the bench reports it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size('mail_bodyindex')")
            return int(cursor.fetchone()[0])
        cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'mail_bodyindex%'")
        row = cursor.fetchone()
        return int(row[0] or 0)
