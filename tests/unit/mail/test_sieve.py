"""The out-of-office script and the ManageSieve answer reader, without a server."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest

from mailproto.sieve import (
    SieveRefused,
    SieveSession,
    SieveUnavailable,
    Vacation,
    vacation_from_script,
    vacation_script,
)


def test_the_script_reads_back_and_quotes_what_the_user_typed() -> None:
    typed = Vacation(subject='Absent "jusqu\'au" 3\\12', text='Ligne 1\n"citation" \\ fin\n}; stop;',
                     start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 15), days=3,
                     addresses=("dr@x.mssante.fr",), includes="mes-filtres", start_zone="+0100",
                     end_zone="+0200\"; stop")
    script = vacation_script(typed)
    assert vacation_from_script(script) == typed
    assert 'require ["vacation", "date", "relational", "include"];' in script
    assert 'include :personal "mes-filtres";' in script
    assert ':subject "Absent \\"jusqu\'au\\" 3\\\\12"' in script  # no way out of the string
    assert '"Ligne 1\n\\"citation\\" \\\\ fin\n}; stop;";' in script
    assert 'currentdate :zone "+0100" :value "ge" "date" "2026-12-01"' in script and ":days 3 " in script
    assert 'currentdate :value "le" "date" "2026-12-15"' in script  # a zone not ±hhmm is left out


def test_no_dates_no_condition_and_foreign_scripts_are_not_ours() -> None:
    script = vacation_script(Vacation(subject="Absent", text="x", days=99))
    assert "currentdate" not in script and ":days 30 " in script
    assert vacation_from_script('require "fileinto";\nfileinto "x";') is None
    assert vacation_from_script("# mssante-web vacation {not json") is None
    assert Vacation(subject="", text="", end=dt.date(2026, 1, 1)).active_on(dt.date(2026, 1, 2)) is False


def session_answering(answer: bytes) -> tuple[SieveSession, list[bytes]]:
    ours, theirs = socket.socketpair()
    written: list[bytes] = []

    def serve() -> None:
        written.append(theirs.recv(65536))
        theirs.sendall(answer)
        theirs.close()

    threading.Thread(target=serve, daemon=True).start()
    return SieveSession(ours), written


def test_scripts_and_literals_are_read_from_the_answer() -> None:
    session, _ = session_answering(b'"mes-filtres"\r\n"mssante-web" ACTIVE\r\nOK "Listscripts completed."\r\n')
    scripts = session.scripts()
    assert [(s.name, s.active) for s in scripts] == [("mes-filtres", False), ("mssante-web", True)]
    session, written = session_answering(b'{12}\r\nrequire "x";\r\nOK "Getscript completed."\r\n')
    assert session.script_get('a"b') == 'require "x";'
    assert written == [b'GETSCRIPT "a\\"b"\r\n']


def test_refusals_and_broken_answers() -> None:
    session, _ = session_answering(b'NO "line 2: unknown command"\r\n')
    with pytest.raises(SieveRefused, match="unknown command"):
        session.script_put("x", "oops")
    session, _ = session_answering(b"{99999999}\r\n")
    with pytest.raises(SieveUnavailable, match="bad literal"):
        session.script_get("x")
    session, _ = session_answering(b"x" * 70_000)
    with pytest.raises(SieveUnavailable):
        session.scripts()
