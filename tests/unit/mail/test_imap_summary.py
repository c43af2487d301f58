"""Summary parsing from raw FETCH response units, as the wire reader produces them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto.imap import wire
from mailproto.imap.answers import is_notification
from mailproto.imap.summaries import UNKNOWN_DATE, attachment_kinds, parse_flags_unit, parse_summary_unit
from mailproto.imap.uids import parse_uid_set, uid_set

HEADER = (b"From: =?iso-8859-1?q?Sophie_B=E9rnard?= <Sophie.Bernard@pharmacie.mssante.test>\r\n"
          b"To: Claire <claire.martin@medecin.mssante.test>,\r\n secretariat@medecin.mssante.test\r\n"
          b"Subject: =?utf-8?q?Ordonnance_de_M=2E_Garnier_=E2=80=93?=\r\n =?utf-8?q?_AVK?=\r\n"
          b"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\nMessage-ID: <a@b>\r\n"
          b"References: <root@b> <p@b>\r\n\r\n")
UNIT = [b'* 7 FETCH (UID 7 FLAGS (\\Seen \\Flagged $Important) MODSEQ (12) RFC822.SIZE 2048 '
        b'INTERNALDATE "24-Nov-2026 10:00:01 +0100" BODY[HEADER.FIELDS (FROM TO CC SUBJECT DATE '
        b'MESSAGE-ID IN-REPLY-TO REFERENCES)] ', HEADER,
        b' BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)'
        b'("application" "pdf" ("name" "ordonnance.pdf") NIL NIL "base64" 900 NIL '
        b'("attachment" ("filename" "ordonnance.pdf")) NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL))']


def test_fields_a_list_needs() -> None:
    record = parse_summary_unit(UNIT)
    assert record is not None
    assert record.uid == 7 and record.modseq == 12 and record.size == 2048
    assert record.subject == "Ordonnance de M. Garnier – AVK"
    assert (record.sender_name, record.sender_address) == ("Sophie Bérnard", "sophie.bernard@pharmacie.mssante.test")
    assert record.recipients == "claire.martin@medecin.mssante.test secretariat@medecin.mssante.test"
    assert record.date == dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    assert record.seen and record.flagged and not record.answered and record.keywords == "$Important"
    assert record.has_attachment and record.att_pdf and not record.att_xdm
    assert record.references == "<root@b> <p@b>" and record.message_id == "<a@b>"


@pytest.mark.requirement("ECO.3.1.1")
def test_patient_sender_is_recognised_by_a_valid_ins() -> None:
    unit = [UNIT[0], b"From: Jeanne <280017512345610@patient.mssante.fr>\r\n\r\n", b" BODYSTRUCTURE NIL)"]
    assert parse_summary_unit(unit, "patient.mssante.fr").patient_ins == "280017512345610"  # type: ignore[union-attr]
    wrong_key = [UNIT[0], b"From: <280017512345611@patient.mssante.fr>\r\n\r\n", b")"]
    # on the patients' domain without a valid INS: held as suspect, never let in (issue 27)
    assert parse_summary_unit(wrong_key, "patient.mssante.fr").patient_ins == "?"  # type: ignore[union-attr]


@pytest.mark.parametrize("header", [b"", b"garbage without colon\r\n", b"Date: not a date\r\nSubject: =?x-unknown?q?abc?=\r\n",
                                    b"From: \xff\xfe broken <x@y>\r\nSubject: \xe9t\xe9\r\n",
                                    b"From: =?idna?q?x?= <x@y>\r\nSubject: =?undefined?q?abc?=\r\n",
                                    b"Date: Fri, 31 Dec 9999 23:59:59 -0130\r\n"])
def test_malformed_headers_never_lose_the_message(header: bytes) -> None:
    unit = [b'* 1 FETCH (UID 3 FLAGS () RFC822.SIZE 10 BODY[HEADER.FIELDS (FROM)] ', header, b" BODYSTRUCTURE NIL)"]
    record = parse_summary_unit(unit)
    assert record is not None and record.uid == 3 and record.date == UNKNOWN_DATE


def test_flags_unit_and_unsolicited_fetch() -> None:
    flags = parse_flags_unit([b"* 4 FETCH (UID 9 MODSEQ (44) FLAGS (\\Deleted \\Seen))"])
    assert flags is not None and flags.deleted and flags.seen and flags.modseq == 44
    assert parse_summary_unit([b"* 4 FETCH (FLAGS (\\Seen))"]) is None


@pytest.mark.parametrize("structure,expected", [
    (b'("application" "zip" ("name" "IHE_XDM.zip") NIL NIL "base64" 9 NIL ("attachment" NIL) NIL NIL)', (True, False, True, False)),
    (b'("text" "xml" ("name" "cda.xml") NIL NIL "base64" 9 NIL NIL NIL NIL)', (True, False, False, True)),
    (b'("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 1 1 NIL NIL NIL NIL)', (False, False, False, False)),
])
def test_attachment_kinds(structure: bytes, expected: tuple[bool, ...]) -> None:
    assert attachment_kinds(structure) == expected


def test_uid_sets_round_trip() -> None:
    assert uid_set([9, 1, 2, 3, 7, 10]) == b"1:3,7,9:10"
    assert parse_uid_set(b"1:3,7,10:9") == [1, 2, 3, 7, 9, 10]


def connection(data: bytes, buffer_size: int = 7) -> wire.Connection:
    """A connection reading canned bytes (a tiny buffer: literals straddle reads)."""
    return wire.Connection(io.BufferedReader(io.BytesIO(data), buffer_size=buffer_size), lambda data: None)


def test_wire_reader_splits_units_and_literals() -> None:
    literal = b"Subject: W1 OK inside a literal\r\n\r\n"
    data = (b"* 1 FETCH (UID 5 BODY[HEADER] {%d}\r\n" % len(literal) + literal + b" FLAGS ())\r\n"
            b"* 2 EXISTS\r\nW1 OK done\r\n")
    response = wire.command(connection(data), b"UID FETCH 5 X")
    assert response.status == b"OK" and len(response.units) == 2
    assert response.units[0][1] == literal and response.units[0][2] == b" FLAGS ())"


class Trickle:
    """A socket reader handing out the bytes a few at a time, in sizes 1 to ``most``: every
    line end, literal and tag ends up split across reads somewhere."""

    def __init__(self, data: bytes, most: int) -> None:
        self.data, self.most, self.calls = data, most, 0

    def read1(self, size: int) -> bytes:
        self.calls += 1
        piece, self.data = self.data[:min(size, 1 + self.calls % self.most)], self.data[min(size, 1 + self.calls % self.most):]
        return piece


@pytest.mark.parametrize("most", [1, 2, 3, 7, 64, 1 << 20])
def test_wire_reader_gives_the_same_units_however_the_bytes_arrive(most: int) -> None:
    literal = b"Subject: W1 OK inside\r\n\r\n"
    long_line = b"* SEARCH " + b" ".join(b"%d" % n for n in range(1, 3000))
    data = (b"* 1 FETCH (UID 5 BODY[HEADER] {%d}\r\n" % len(literal) + literal + b" FLAGS ())\r\n"
            + long_line + b"\r\n* 2 FETCH (UID 6 BODY[] {0}\r\n)\r\nW1 OK done\r\n* 3 EXISTS\r\n")
    trickle = Trickle(data, most)
    conn = wire.Connection(trickle, lambda data: None)  # type: ignore[arg-type]
    response = wire.command(conn, b"X")
    assert response.status == b"OK" and response.text == b"done"
    assert response.units == [[b"* 1 FETCH (UID 5 BODY[HEADER] ", literal, b" FLAGS ())"], [long_line],
                              [b"* 2 FETCH (UID 6 BODY[] ", b"", b")"]]
    assert conn.leftover + trickle.data == b"* 3 EXISTS\r\n"  # kept for the next command
    trickle.data += b"W2 OK again\r\n"  # and the stream ends right after a completion
    response = wire.command(conn, b"Y")
    assert response.units == [[b"* 3 EXISTS"]] and response.text == b"again"


def test_pipelined_answers_read_in_order_even_when_they_arrive_together() -> None:
    # Dovecot completes pipelined commands in any order: here STATUS before NOOP.
    conn = connection(b"* STATUS INBOX (MESSAGES 3)\r\nW2 OK status\r\n* 1 EXISTS\r\nW1 OK noop\r\n",
                      buffer_size=1 << 16)  # one read gets all
    units, (noop, status) = wire.pipeline(conn, [b"NOOP", b"STATUS INBOX (MESSAGES)"])
    assert units == [[b"* STATUS INBOX (MESSAGES 3)"], [b"* 1 EXISTS"]]
    assert (noop.status, noop.text, status.text) == (b"OK", b"noop", b"status")


def test_wire_reader_reports_a_cut_connection() -> None:
    with pytest.raises(wire.ImapUnavailable):
        wire.command(connection(b"* 1 FETCH (UID 5 BODY[] {100}\r\nshort"), b"X")



def test_read_receipts_and_delivery_reports_are_marked() -> None:
    report = [UNIT[0], UNIT[1], b' BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL '
              b'NIL NIL)("message" "disposition-notification" NIL NIL NIL "7bit" 120 NIL NIL NIL NIL) "report" '
              b'("report-type" "disposition-notification" "boundary" "z") NIL NIL NIL))']
    dsn = [UNIT[0], UNIT[1], report[2].replace(b"disposition-notification", b"delivery-status").upper()]
    assert parse_summary_unit(report).is_report  # type: ignore[union-attr]
    assert parse_summary_unit(dsn).is_report  # type: ignore[union-attr]  # whatever the case
    assert not parse_summary_unit(UNIT).is_report  # type: ignore[union-attr]


_CHARSETS = [b"utf-8", b"iso-8859-1", b"windows-1252", b"utf-7", b"utf-16", b"idna", b"undefined",
             b"zlib", b"unicode_escape", b"x-unknown", b"utf-8*fr", b""]
_PIECES = [b"=?", b"?=", b"?Q?", b"?B?", b"_", b"=E9", b"=C3=A9", b"+2AA-", b"\\ud800", b"w6k=",
           b"<a@b>", b"<", b">", b"@", b",", b'"', b" ", b"\t", b"\r\n ", b":", b"\xe9", b"\xff",
           b"Wed, ", b"01 Jan 2025 ", b"31 Dec 9999 ", b"23:59:59 ", b"+0100", b"-0130", b"99:99"]
_word = st.builds(lambda charset, kind, text: b"=?" + charset + b"?" + kind + b"?" + text + b"?=",
                  st.sampled_from(_CHARSETS), st.sampled_from([b"Q", b"q", b"B", b"b", b"X"]),
                  st.binary(max_size=12) | st.sampled_from([b"caf=E9", b"w6k=", b"+2AA-"]))
_value = st.lists(_word | st.sampled_from(_PIECES) | st.binary(max_size=6), max_size=8).map(b"".join)
_NAMES = [b"From", b"To", b"Cc", b"Subject", b"Date", b"Message-ID", b"In-Reply-To", b"References",
          b"from", b"X-Other", b""]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_NAMES), _value), max_size=9),
       st.sampled_from([b"\r\n", b"\n"]))
def test_any_header_block_gives_a_storable_record(fields: list[tuple[bytes, bytes]], end: bytes) -> None:
    """Whatever a sender writes in the headers a list shows, the message is indexed: a
    record, never an exception (which would fail the folder's sync at every run), with
    text a database can store."""
    header = b"".join(name + b": " + value + end for name, value in fields) + end
    unit = [b"* 1 FETCH (UID 3 FLAGS (\\Seen) RFC822.SIZE 10 INTERNALDATE \"01-Jan-2025 00:00:00 +0000\" "
            b"BODY[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES)] ",
            header, b" BODYSTRUCTURE NIL)"]
    record = parse_summary_unit(unit, "patient.mssante.fr")
    assert record is not None and record.uid == 3 and record.seen
    for value in record:
        if isinstance(value, str):
            value.encode("utf-8")  # no lone surrogate
    assert record.date.tzinfo is not None


@pytest.mark.parametrize(("head", "expected", "notice"), [
    (UNIT[0], b"SUMMARY", False),                                 # the summary we asked for
    (b"* 12 EXISTS", b"SUMMARY", True),                           # new mail during the sync
    (b"* 3 EXPUNGE", b"SUMMARY", True),
    (b"* 4 FETCH (UID 9 FLAGS (\\Seen) MODSEQ (44))", b"SUMMARY", True),  # another client's flag
    (b"* VANISHED 7", b"SUMMARY", True),
    (b"* 4 FETCH (UID 9 FLAGS (\\Seen) MODSEQ (44))", b"CHANGES", False),  # what CHANGES asks
    (b"* 12 EXISTS", b"SELECT", False),                           # part of the EXAMINE answer
    (b"* 12 EXISTS", b"", True),
    (b"* STATUS INBOX (MESSAGES 3)", b"", False),
])
def test_what_counts_as_the_server_telling_us_the_folder_changed(head: bytes, expected: bytes,
                                                                 notice: bool) -> None:
    # A pooled session trusts one NOOP at the next check only when nothing like this came.
    assert is_notification([head], expected) is notice


def test_a_unit_that_cannot_be_parsed_is_listed_unreadable_and_the_rest_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mailproto.imap import summaries

    def unit(uid: int) -> list[bytes]:
        return [b"* %d FETCH (UID %d FLAGS (\\Seen) RFC822.SIZE 2048 INTERNALDATE \"24-Nov-2026 10:00:00 +0100\" "
                b"BODY[HEADER.FIELDS (FROM SUBJECT)] " % (uid, uid), b"Subject: s%d\r\n\r\n" % uid,
                b" BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1 NIL NIL NIL NIL))"]

    parse = summaries.parse_summary_unit

    def poisoned(one: list[bytes], patient_domain: str = "") -> object:
        if b"UID 2 " in one[0]:
            raise RecursionError("engineered")  # whatever a hostile message could trigger
        return parse(one, patient_domain)

    monkeypatch.setattr(summaries, "parse_summary_unit", poisoned)
    records = summaries.parse_summary_units([unit(1), unit(2), unit(3)])
    assert [(r.uid, r.subject, r.unreadable) for r in records] == [(1, "s1", False), (2, "", True), (3, "s3", False)]
    assert records[1].size == 2048 and records[1].thread_key == "uid:2" and not records[1].seen


class Interrupted(Exception):
    """Stands for Celery's SoftTimeLimitExceeded (pure code does not import Celery)."""


def _unit(subject: bytes) -> list[bytes]:
    header = b"Subject: " + subject + b"\r\nFrom: a@b.fr\r\n\r\n"
    return [b'* 1 FETCH (UID 7 RFC822.SIZE 120 FLAGS () INTERNALDATE "01-Nov-2026 08:00:00 +0000" '
            b'BODY[HEADER.FIELDS (SUBJECT FROM)] {%d}' % len(header), header, b" BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1))"]


def test_a_time_limit_during_an_ordinary_parse_passes_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailproto.imap import summaries

    def interrupted(unit: list[bytes], patient_domain: str = "") -> None:
        raise Interrupted

    monkeypatch.setattr(summaries, "parse_summary_unit", interrupted)
    with pytest.raises(Interrupted):
        summaries.parse_summary_units([_unit(b"x")], "", (Interrupted,))
    # Not an interruption the caller named: the message is listed unreadable, as before.
    assert summaries.parse_summary_units([_unit(b"x")], "")[0].unreadable


def test_a_time_limit_cutting_a_slow_parse_isolates_that_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailproto.imap import summaries

    clock = [100.0]

    def slow(unit: list[bytes], patient_domain: str = "") -> None:
        clock[0] += summaries.POISON_SECONDS + 0.5
        raise Interrupted

    monkeypatch.setattr(summaries, "parse_summary_unit", slow)
    monkeypatch.setattr(summaries.time, "monotonic", lambda: clock[0])
    (record,) = summaries.parse_summary_units([_unit(b"slow")], "", (Interrupted,))
    assert record.unreadable and record.uid == 7
