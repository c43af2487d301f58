"""Reads of the audit trail."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from .models import AuditEvent

CSV_COLUMNS = ("at", "event", "actor", "structure_id", "mailbox", "target", "outcome", "delegation",
               "client_ip", "request_id", "details")
# A cell a spreadsheet would take for a formula (CSV injection): quoted as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else (
        "" if value is None else str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def audit_csv_rows(events: Iterable[AuditEvent]) -> Iterator[str]:
    """CSV lines (a header, then one per event), streamed: an export of a year's trail
    never sits whole in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in values])
        return buffer.getvalue()

    yield "\ufeff" + line(CSV_COLUMNS)  # the BOM: Excel then reads UTF-8 (accents in names)
    for event in events:
        yield line(getattr(event, name) for name in CSV_COLUMNS)
