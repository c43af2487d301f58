"""Index writes of the sync engine: raw multi-row INSERTs (COPY on PostgreSQL) of summary
rows, flag updates and deletions by UID.

Raw SQL on purpose: building 100,000 model instances would cost more than the IMAP fetch
itself (docs/architecture.md, "Departures"). Callers go through this module's attributes
(``writes.insert_values``) so that one patch reaches every caller, the forked writer
included.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DataError, IntegrityError, connection, transaction

from mailproto.imap.summaries import FlagsRecord, SummaryRecord

from ..models import Folder, MessageSummary
from .tuning import TUNING

logger = logging.getLogger(__name__)

_COLUMNS = ["folder_id", *SummaryRecord._fields]


def _datetime_adapter() -> Callable[[Any], Any]:
    if connection.vendor == "sqlite":
        # Django stores naive UTC text on SQLite: the statement makes it from the epoch
        # seconds (see ``_date_placeholder``), a tenth of the cost of isoformat() in Python.
        return lambda value: value.timestamp() if value else None
    return lambda value: value


def _date_placeholder(sqlite: bool) -> str:
    """The date column's value in an INSERT: the bound epoch seconds turned into Django's
    ``YYYY-MM-DD HH:MM:SS`` text by SQLite (message dates have no fractions of a second)."""
    return "datetime(?, 'unixepoch')" if sqlite else "%s"


def _rows_per_insert() -> int:
    """``TUNING.rows_per_insert``, or what an old SQLite library (999 parameters) allows."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(TUNING.rows_per_insert, limit // len(_COLUMNS)))
    return TUNING.rows_per_insert


def summary_values(folder_id: int, records: Sequence[SummaryRecord]) -> list[Any]:
    """The rows' column values, flat, in ``_COLUMNS`` order, dates as the backend stores
    them: plain data that pickles fast for the writer process.

    On SQLite the booleans go as 0 and 1: Python's sqlite3 binds an int directly but looks a
    bool up as a type to adapt, failing with a formatted AttributeError it discards, and a
    row has nine of them (``bench/micro.py``: ``sqlite_bind_bool_ns``)."""
    adapt = _datetime_adapter()
    width = len(_COLUMNS)
    date_at = _COLUMNS.index("date") - width
    as_ints = [i - width for i in _BOOLEAN_COLUMNS] if connection.vendor == "sqlite" else []
    values: list[Any] = []
    for record in records:
        values.append(folder_id)
        values.extend(record)
        values[date_at] = adapt(record.date)
        for at in as_ints:
            values[at] = 1 if values[at] else 0
    return values


_BOOLEAN_COLUMNS = [i for i, name in enumerate(_COLUMNS)
                    if MessageSummary._meta.get_field(name).get_internal_type() == "BooleanField"]


def insert_values(values: list[Any]) -> int:
    """Rows in multi-row INSERTs (on PostgreSQL, COPY first: ``copy_values``): each
    statement stores 500 rows in one call that runs without the GIL (row-by-row
    ``executemany`` hands the GIL back and forth 100,000 times with the parser during an
    initial sync).

    On SQLite the statements go to the sqlite3 cursor itself, with ``?`` placeholders:
    Django's wrapper would rewrite each 12,500-placeholder statement with a regex at every
    call, as much work a row as SQLite's own."""
    width = len(_COLUMNS)
    count = len(values) // width
    if not count:
        return 0
    quote = connection.ops.quote_name
    table = quote(MessageSummary._meta.db_table)
    columns = ", ".join(quote(c) for c in _COLUMNS)
    if connection.vendor == "postgresql" and copy_values(values, table, columns):
        return count
    sqlite = connection.vendor == "sqlite"
    placeholders = ["?" if sqlite else "%s"] * width
    placeholders[_COLUMNS.index("date")] = _date_placeholder(sqlite)
    row = "(" + ", ".join(placeholders) + ")"
    conflict = f" ON CONFLICT ({quote('folder_id')}, {quote('uid')}) DO NOTHING"
    per_insert = _rows_per_insert()
    step = width * per_insert
    full, rest = divmod(count, per_insert)
    with connection.cursor() as wrapper:
        # The DB-API cursor under Django's; on SQLite, sqlite3's methods without the rewrite.
        cursor: Any = wrapper.cursor
        execute = functools.partial(sqlite3.Cursor.execute, cursor) if sqlite else cursor.execute
        executemany = (functools.partial(sqlite3.Cursor.executemany, cursor) if sqlite
                       else cursor.executemany)
        if full:
            sql = (f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - fixed identifiers
                   + ", ".join([row] * per_insert) + conflict)
            executemany(sql, [values[start:start + step] for start in range(0, full * step, step)])
        if rest:
            execute(f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                    + ", ".join([row] * rest) + conflict, values[full * step:])
    return count


def copy_values(values: list[Any], table: str, columns: str) -> bool:
    """PostgreSQL: the rows through COPY, in a savepoint. Django's psycopg cursors bind on
    the client, so a 500-row INSERT was a 13,000-value statement built and parsed as text at
    every call, several times what COPY costs (``bench/sync.py``, PostgreSQL ratios). COPY has no
    ON CONFLICT: if a row is already there (another writer got there first), it stores
    nothing and returns False, and the caller's INSERT skips the rows already stored.

    PostgreSQL text cannot hold NUL (Dovecot sends 0x80 instead; other servers may not):
    refused for that, the values are cleaned in place, for the INSERT too, and sent again."""
    width = len(_COLUMNS)
    try:
        with (transaction.atomic(), connection.cursor() as wrapper, connection.wrap_database_errors,
              wrapper.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy):
            for start in range(0, len(values), width):
                copy.write_row(values[start:start + width])
    except IntegrityError as exc:
        logger.info("COPY into the index refused (%s): rows inserted one statement at a time", exc)
        return False
    except DataError as exc:
        if not any(isinstance(v, str) and "\x00" in v for v in values):
            raise
        logger.warning("NUL characters in summaries replaced before storing them (%s)", exc)
        values[:] = [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in values]
        return copy_values(values, table, columns)  # no NUL left: at most once more
    return True


def insert_summaries(folder_id: int, records: Sequence[SummaryRecord]) -> int:
    return insert_values(summary_values(folder_id, records)) if records else 0


def update_flags(folder_id: int, records: Iterable[FlagsRecord]) -> int:
    quote = connection.ops.quote_name
    table = quote(MessageSummary._meta.db_table)
    rows = [(r.seen, r.flagged, r.answered, r.draft, r.keywords, r.modseq, folder_id, r.uid)
            for r in records]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET seen = %s, flagged = %s, answered = %s, draft = %s, "  # noqa: S608
                f"keywords = %s, modseq = %s WHERE folder_id = %s AND uid = %s", rows)
    return len(rows)


def delete_uids(folder: Folder, uids: Iterable[int]) -> int:
    uids = list(uids)
    removed = 0
    for start in range(0, len(uids), 500):
        removed += MessageSummary.objects.filter(folder=folder, uid__in=uids[start:start + 500]) \
            .delete()[0]
    return removed


def known_uids(folder: Folder) -> set[int]:
    return set(MessageSummary.objects.filter(folder=folder).values_list("uid", flat=True))
