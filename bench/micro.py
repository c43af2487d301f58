#!/usr/bin/env python3
"""Micro-benchmarks behind design choices the code comments used to quote as bare numbers
(docs/architecture.md, "Departures"). No server needed: canned FETCH answers, an in-memory
SQLite, the sanitiser. Each figure is the median of several timed repetitions; the last
line is one JSON object.

- imapclient parsing a list's FETCH answer vs this project's summary parser, per message
  (why ``mailproto/imap/summaries`` reads raw units);
- a SummaryRecord built with keywords vs positionally;
- sqlite3 binding a bool vs an int, a datetime's isoformat vs epoch seconds
  (``apps/mail/sync/writes``);
- the HTML sanitiser per KB of a newsletter (why cleaned bodies are cached).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailproto.imap import wire  # noqa: E402
from mailproto.imap.summaries import SummaryRecord, parse_summary_units  # noqa: E402
from mailproto.mime.sanitize import sanitize_html  # noqa: E402

MESSAGES = 2000
RUNS = 7


def median_seconds(work: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def fetch_answer(count: int) -> bytes:
    """A list's FETCH answer as Dovecot sends it, ``count`` messages."""
    parts = []
    for uid in range(1, count + 1):
        header = (b"From: =?utf-8?q?Dr_Claire_MARTIN?= <claire.martin@medecin.mssante.test>\r\n"
                  b"To: Julien PETIT <julien.petit@hopital.mssante.test>\r\n"
                  b"Subject: =?utf-8?q?Compte_rendu_n=C2=B0%d?=\r\n"
                  b"Date: Tue, 24 Nov 2026 10:%02d:00 +0100\r\nMessage-ID: <m%d@x>\r\n\r\n"
                  % (uid, uid % 60, uid))
        parts.append(b"* %d FETCH (UID %d FLAGS (\\Seen) MODSEQ (%d) RFC822.SIZE 2048 "
                     b"INTERNALDATE \"24-Nov-2026 10:00:00 +0100\" BODY[HEADER.FIELDS (FROM TO CC "
                     b"SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES)] {%d}\r\n"
                     % (uid, uid, uid, len(header))
                     + header + b" BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
                     b"\"8bit\" 120 3 NIL NIL NIL NIL))\r\n")
    return b"".join(parts) + b"W1 OK Fetch completed.\r\n"


def units_of(data: bytes) -> list[list[bytes]]:
    import io

    conn = wire.Connection(io.BufferedReader(io.BytesIO(data)), lambda _: None)
    return wire.command(conn, b"UID FETCH 1:* (...)").units


def imapclient_parse(data: bytes) -> object:
    """What imapclient does with the same answer: imaplib's line reader, then its parser."""
    from imapclient.response_parser import parse_fetch_response

    lines: list[bytes | tuple[bytes, bytes]] = []
    for unit in units_of(data):
        text = unit[0][2:].replace(b" FETCH ", b" ", 1)  # imaplib hands the data without its name
        lines.append((text + b"{%d}" % len(unit[1]), unit[1]) if len(unit) > 1 else text)
        if len(unit) > 2:
            lines.append(unit[2])
    return parse_fetch_response(lines)


def record_costs() -> tuple[float, float]:
    values = (1, 2, "<a@x>", "", "", "k", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "n", "a@x", "t", "r",
              "s", 10, True, False, False, False, "", False, False, False, False, "", False, False)
    fields = dict(zip(SummaryRecord._fields, values, strict=True))
    keyword = median_seconds(lambda: [SummaryRecord(**fields) for _ in range(20000)]) / 20000
    positional = median_seconds(lambda: [tuple.__new__(SummaryRecord, values) for _ in range(20000)]) / 20000
    return keyword, positional


def sqlite_costs() -> dict[str, float]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (a, b, c, d, e, f, g, h, i)")
    rows = 20000
    as_bools = [(True, False) * 4 + (True,)] * rows
    as_ints = [(1, 0) * 4 + (1,)] * rows
    insert = "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    bools = median_seconds(lambda: db.executemany(insert, as_bools)) / (rows * 9)
    ints = median_seconds(lambda: db.executemany(insert, as_ints)) / (rows * 9)
    date = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    iso = median_seconds(lambda: [date.isoformat() for _ in range(rows)]) / rows
    epoch = median_seconds(lambda: [date.timestamp() for _ in range(rows)]) / rows
    return {"sqlite_bind_bool_ns": bools * 1e9, "sqlite_bind_int_ns": ints * 1e9,
            "date_isoformat_us": iso * 1e6, "date_epoch_us": epoch * 1e6}


def sanitise_cost() -> float:
    block = ("<table><tr><td style=\"color:#333;font-family:Arial\"><p>Lettre d'information du "
             "<b>GHT</b> : <a href=\"https://example.org/x\">programme</a> de formation.</p>"
             "<img src=\"https://example.org/logo.png\" width=\"120\"></td></tr></table>")
    html = block * 60
    seconds = median_seconds(lambda: sanitize_html(html, allow_remote=False, cid_url=None), runs=5)
    return seconds / (len(html) / 1024)


def main() -> int:
    data = fetch_answer(MESSAGES)
    units = units_of(data)
    ours = median_seconds(lambda: parse_summary_units(units)) / MESSAGES
    theirs = median_seconds(lambda: imapclient_parse(data), runs=3) / MESSAGES
    keyword, positional = record_costs()
    figures = {
        "summary_parse_us_per_message": round(ours * 1e6, 1),
        "imapclient_parse_us_per_message": round(theirs * 1e6, 1),
        "imapclient_over_ours": round(theirs / ours, 1),
        "record_keyword_us": round(keyword * 1e6, 2),
        "record_positional_us": round(positional * 1e6, 2),
        **{name: round(value, 2) for name, value in sqlite_costs().items()},
        "sanitise_ms_per_kb": round(sanitise_cost() * 1e3, 2),
    }
    for name, value in figures.items():
        print(f"{name:36} {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
