"""The connection this project owns after login, on canned byte streams: the FETCH reader
(split literals, notifications between answers, a connection closed mid-literal), literals
with and without LITERAL+, and IDLE."""

from __future__ import annotations

import io

import pytest

from mailproto.imap import wire


class Server:
    """What the client wrote, and a reader over canned answers handed out ``most`` bytes at a
    time at most (1 splits every line end, literal and tag)."""

    def __init__(self, answers: bytes, most: int = 1 << 20) -> None:
        self.written: list[bytes] = []
        self.answers, self.most = answers, most

    def read1(self, size: int) -> bytes:
        piece, self.answers = self.answers[:min(size, self.most)], self.answers[min(size, self.most):]
        return piece

    def connection(self, *, literal_plus: bool = True) -> wire.Connection:
        return wire.Connection(self, self.written.append, literal_plus=literal_plus)  # type: ignore[arg-type]


def fetch(uid: int, body: bytes) -> bytes:
    return b"* %d FETCH (UID %d BODY[HEADER] {%d}\r\n" % (uid, uid, len(body)) + body + b" FLAGS (\\Seen))\r\n"


@pytest.mark.parametrize("most", [1, 5, 64, 1 << 20])
def test_stream_hands_over_pieces_with_notifications_between_answers(most: int) -> None:
    header = b"Subject: W2 OK pas une fin\r\n\r\n"  # a tag-like line inside a literal
    answers = (fetch(1, header) + fetch(2, header) + b"* 9 EXISTS\r\nW1 OK first\r\n"
               + b"* 3 EXPUNGE\r\n" + fetch(3, header) + b"W2 OK second\r\n"
               + fetch(4, header) + b"W3 OK third\r\n")
    server = Server(answers, most)
    got = list(wire.stream(server.connection(), [b"UID FETCH 1:2 X", b"UID FETCH 3 X", b"UID FETCH 4 X"],
                           every=1))
    units = [unit for _, response in got for unit in response.units]
    assert [unit[0] for unit in units] == [
        b"* 1 FETCH (UID 1 BODY[HEADER] ", b"* 2 FETCH (UID 2 BODY[HEADER] ", b"* 9 EXISTS",
        b"* 3 EXPUNGE", b"* 3 FETCH (UID 3 BODY[HEADER] ", b"* 4 FETCH (UID 4 BODY[HEADER] "]
    assert all(unit[1] == header and unit[2] == b" FLAGS (\\Seen))" for unit in units if len(unit) > 1)
    completions = [(line, response.text) for line, response in got if response.status]
    assert completions == [(b"UID FETCH 1:2 X", b"first"), (b"UID FETCH 3 X", b"second"),
                           (b"UID FETCH 4 X", b"third")]
    assert b"".join(server.written) == b"W1 UID FETCH 1:2 X\r\nW2 UID FETCH 3 X\r\nW3 UID FETCH 4 X\r\n"


def test_stream_reports_a_connection_closed_mid_literal() -> None:
    answers = fetch(1, b"Subject: a\r\n\r\n") + b"* 2 FETCH (UID 2 BODY[HEADER] {500}\r\nSubject: coup"
    server = Server(answers, most=3)
    pieces = wire.stream(server.connection(), [b"UID FETCH 1 X", b"UID FETCH 2 X"], every=1)
    with pytest.raises(wire.ImapUnavailable, match="mid-literal"):
        for _ in pieces:
            pass


def test_a_connection_closed_mid_line_or_before_the_completion() -> None:
    with pytest.raises(wire.ImapUnavailable, match="mid-response"):
        wire.command(Server(b"* 1 EXISTS\r\n* 2 EXI").connection(), b"NOOP")


def test_literal_plus_goes_in_one_write() -> None:
    server = Server(b"* SEARCH 4 7\r\nW1 OK found\r\n")
    response = wire.command(server.connection(), b"UID SEARCH CHARSET UTF-8 TEXT", literal="é".encode())
    assert server.written == [b"W1 UID SEARCH CHARSET UTF-8 TEXT {2+}\r\n\xc3\xa9\r\n"]
    assert response.units == [[b"* SEARCH 4 7"]] and response.status == b"OK"


def test_a_synchronising_literal_waits_for_the_go_ahead() -> None:
    server = Server(b"+ Ready for literal data\r\n* 3 EXISTS\r\nW1 OK [APPENDUID 7 12] Append completed.\r\n")
    response = wire.command(server.connection(literal_plus=False), b'APPEND "Drafts" (\\Draft)', literal=b"x" * 5)
    assert server.written == [b'W1 APPEND "Drafts" (\\Draft) {5}\r\n', b"xxxxx\r\n"]
    assert response.text.startswith(b"[APPENDUID 7 12]") and response.units == [[b"* 3 EXISTS"]]


def test_a_literal_refused_before_the_go_ahead_is_never_sent() -> None:
    server = Server(b"W1 NO [OVERQUOTA] Quota exceeded\r\n")
    response = wire.command(server.connection(literal_plus=False), b'APPEND "Sent" ()', literal=b"y" * 9)
    assert server.written == [b'W1 APPEND "Sent" () {9}\r\n'] and response.status == b"NO"


def test_idle_returns_what_the_server_said_then_ends() -> None:
    server = Server(b"+ idling\r\n* 4 EXISTS\r\n* 1 RECENT\r\nW1 OK Idle completed.\r\n")
    connection = server.connection()
    tag, before = wire.idle_begin(connection)
    assert tag == b"W1" and before == [] and server.written == [b"W1 IDLE\r\n"]
    assert connection.wait_readable(0)  # what followed the go-ahead is already read
    units = wire.idle_end(connection, tag)
    assert server.written == [b"W1 IDLE\r\n", b"DONE\r\n"]
    assert units == [[b"* 4 EXISTS"], [b"* 1 RECENT"]]


def test_idle_refused() -> None:
    with pytest.raises(wire.ImapUnavailable, match="IDLE refused"):
        wire.idle_begin(Server(b"W1 BAD Unknown command\r\n").connection())


def test_tags_are_our_own_and_bytes_past_an_answer_wait_for_the_next() -> None:
    conn = wire.Connection(io.BufferedReader(io.BytesIO(b"W1 OK a\r\n* 5 EXISTS\r\nW2 OK b\r\n")),
                           lambda data: None)
    assert wire.command(conn, b"NOOP").text == b"a"
    assert conn.leftover == b"* 5 EXISTS\r\nW2 OK b\r\n"  # read with the first answer, kept
    assert wire.command(conn, b"NOOP").units == [[b"* 5 EXISTS"]]
    assert conn.new_tag() == b"W3"


def test_idle_again_on_the_selected_folder_sends_no_examine_and_counts_what_came_between() -> None:
    """The watcher renews IDLE right after DONE (issue 28): a message delivered between the
    two is reported before the go-ahead, and counts as a change (an EXAMINE in between
    reported it unseen)."""
    from mailproto.imap.idle import idle_begin
    from mailproto.imap.session import ImapSession

    server = Server(b"* 5 EXISTS\r\n+ idling\r\n")
    session = ImapSession.__new__(ImapSession)
    session.connection, session.round_trips = server.connection(), wire.RoundTrips()
    session.selected, session.idle = "INBOX", None
    idle_begin(session, "INBOX", reselect=False)
    assert server.written == [b"W1 IDLE\r\n"]
    assert session.idle is not None and session.idle.changed
