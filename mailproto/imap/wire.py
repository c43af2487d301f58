"""The IMAP connection after login, owned here: socket, reader, tags, and the bytes read
past the last answer. Commands go out raw and answers come back as response units (a line
plus any literals it announces), never parsed token by token.

imapclient logs in (every SASL mechanism, STARTTLS); ``Connection.take_over`` then owns its
socket and imapclient is not used again on it. Why: imaplib (under imapclient) handles a
FETCH response line by line and imapclient parses every token in Python, about ten times
what the server needs for list summaries (``bench/README.md``); sharing the socket with it
meant reaching into its private tag counter and buffered reader.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import queue
import select
import socket
import ssl
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from mailproto.identifiers import ascii_digits

from .errors import ImapUnavailable

CHUNK = 1 << 18  # bigger than the reader's buffer: read1 then never leaves bytes behind in it
IO_ERRORS = (TimeoutError, OSError, ssl.SSLError)


class Connection:
    """One authenticated IMAP connection: ``write`` sends bytes, ``reader`` (with read1)
    receives them, ``leftover`` holds what was read past the last answer (given to the next
    read), and tags are numbered here (prefix ``W``).

    ``literal_plus``: the server takes non-synchronising literals (RFC 7888), so a command
    with a literal goes out in one write."""

    def __init__(self, reader: io.BufferedIOBase, write: Callable[[bytes], Any], *,
                 sock: socket.socket | None = None, literal_plus: bool = True) -> None:
        self.reader = reader
        self.write = write
        self.sock = sock
        self.literal_plus = literal_plus
        self.leftover = b""
        self._tags = itertools.count(1)

    @classmethod
    def take_over(cls, sock: socket.socket, *, literal_plus: bool) -> Connection:
        """This connection from now on reads and writes ``sock`` (just logged in, nothing
        left unread on it)."""
        return cls(sock.makefile("rb"), sock.sendall, sock=sock, literal_plus=literal_plus)

    def new_tag(self) -> bytes:
        return b"W%d" % next(self._tags)

    def send(self, data: bytes) -> None:
        self.write(data)

    def has_buffered(self) -> bool:
        """Whether bytes are already here (read past the last answer, or decrypted and not
        yet read): a selector on the socket would not wake for them. No system call."""
        if self.leftover or self.sock is None:
            return True
        return isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0

    def wait_readable(self, timeout: float) -> bool:
        """Whether the server has sent something within ``timeout`` seconds (bytes already
        read or decrypted count), without reading it. poll(2), not select(2): a watcher
        holding thousands of connections has descriptors past select's 1,024."""
        if self.has_buffered():
            return True
        assert self.sock is not None
        poller = select.poll()
        poller.register(self.sock, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(max(0.0, timeout) * 1000))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.reader.close()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()


@dataclass
class Response:
    """Untagged units of one command, and its tagged completion."""

    units: list[list[bytes]] = field(default_factory=list)  # [text, literal, text, ...]
    status: bytes = b""  # OK / NO / BAD
    text: bytes = b""


@dataclass
class RoundTrips:
    """Counts commands sent on a connection: the incremental sync has a budget."""

    count: int = 0


def command(conn: Connection, line: bytes, counter: RoundTrips | None = None,
            literal: bytes | None = None) -> Response:
    """Send ``line`` (without tag) and read the response. With ``literal``, ``line`` ends
    where the literal goes and the literal follows (synchronising when the server needs
    it). Raises ImapUnavailable on I/O errors; NO/BAD are returned for the caller to judge."""
    tag = conn.new_tag()
    try:
        if literal is None:
            conn.send(tag + b" " + line + b"\r\n")
        elif conn.literal_plus:
            conn.send(tag + b" " + line + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        else:
            conn.send(tag + b" " + line + b" {%d}\r\n" % len(literal))
            units, done = _read(conn, [tag], continuation=True)
            if tag in done:  # refused before the literal was sent
                done[tag].units = units
                return done[tag]
            conn.send(literal + b"\r\n")
        if counter is not None:
            counter.count += 1
        units, done = _read(conn, [tag])
        done[tag].units = units
        return done[tag]
    except IO_ERRORS as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc


def idle_begin(conn: Connection) -> tuple[bytes, list[list[bytes]]]:
    """Start IDLE (RFC 2177) and return at the server's go-ahead: its tag and what it sent
    before. The caller waits (``Connection.wait_readable``, or a selector on ``sock`` for
    many connections at once) and then calls ``idle_end``."""
    tag = conn.new_tag()
    try:
        conn.send(tag + b" IDLE\r\n")
        units, done = _read(conn, [tag], continuation=True)
    except IO_ERRORS as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    if tag in done:
        raise ImapUnavailable(f"IDLE refused: {done[tag].text.decode('utf-8', 'replace')}")
    return tag, units


def idle_end(conn: Connection, tag: bytes) -> list[list[bytes]]:
    """DONE: the untagged units the server sent while idling."""
    try:
        conn.send(b"DONE\r\n")
        units, done = _read(conn, [tag])
    except IO_ERRORS as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    if done[tag].status != b"OK":
        raise ImapUnavailable(f"IDLE refused: {done[tag].text.decode('utf-8', 'replace')}")
    return units


def send(conn: Connection, line: bytes, counter: RoundTrips | None = None) -> bytes:
    """Send a command without waiting for its answer (see ``receive``); returns its tag."""
    tag = conn.new_tag()
    try:
        conn.send(tag + b" " + line + b"\r\n")
    except IO_ERRORS as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    if counter is not None:
        counter.count += 1
    return tag


def receive(conn: Connection, tag: bytes, piece: Callable[[list[list[bytes]]], None] | None = None,
            every: int = 0) -> Response:
    """The answer to a command ``send`` sent (see ``_read`` for ``piece``)."""
    try:
        units, done = _read(conn, [tag], piece, every)
    except IO_ERRORS as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    done[tag].units = units
    return done[tag]


def pipeline(conn: Connection, lines: list[bytes],
             counter: RoundTrips | None = None) -> tuple[list[list[bytes]], list[Response]]:
    """Send several commands at once: one round trip of latency for all of them.

    Servers may run pipelined commands concurrently and complete them in any order (Dovecot
    does), so untagged data cannot be attributed to one command: all of it comes back in one
    list, in arrival order, with each command's completion in the order of ``lines``."""
    tags = [conn.new_tag() for _ in lines]
    try:
        conn.send(b"".join(tag + b" " + line + b"\r\n" for tag, line in zip(tags, lines, strict=True)))
        if counter is not None:
            counter.count += 1
        units, done = _read(conn, tags)
    except IO_ERRORS as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    return units, [done[tag] for tag in tags]


AHEAD = 2  # commands the reader thread of ``stream`` keeps in flight
WAITING_PIECES = 8  # pieces it reads ahead of the caller before it blocks


def stream(conn: Connection, lines: list[bytes], counter: RoundTrips | None = None,
           ahead: int = AHEAD, every: int = 250) -> Generator[tuple[bytes, Response], None, None]:
    """Send ``lines`` and yield their answers as they arrive, read by a thread.

    Each command's untagged units come in pieces of ``every`` units, as partial responses
    (``status`` empty), then its completion (with the last units). The caller parses a piece
    while the thread reads the next off the socket (the TLS decryption runs without the GIL)
    and the server prepares more: the server, the socket and the parser all work at once,
    from the first piece on. The thread keeps ``ahead`` commands in flight; at most
    ``WAITING_PIECES`` pieces wait in memory. If the caller stops early, the thread sends nothing more but
    still reads what is in flight, leaving the connection ready for the next command.

    IMAP lets a server interleave the answers of pipelined commands (Dovecot answers
    FETCHes one after the other): a piece of one command's answer may hold units another
    command asked for, and callers must not assume otherwise."""
    if len(lines) <= 1:
        for line in lines:
            yield line, command(conn, line, counter)
        return
    ready: queue.Queue[tuple[bytes, Response] | BaseException | None] = queue.Queue(WAITING_PIECES)
    stop = threading.Event()

    def answer(sent: bytes, tag: bytes) -> Response:
        def piece(units: list[list[bytes]]) -> None:
            if not stop.is_set():  # a caller that stopped wants no more
                ready.put((sent, Response(units=units)))
        return receive(conn, tag, piece, every)

    def produce() -> None:
        try:
            in_flight: list[tuple[bytes, bytes]] = []
            for line in lines:
                if stop.is_set():
                    break
                in_flight.append((line, send(conn, line, counter)))
                # The next command is sent before the first answer is read, so that the
                # server never idles between them (~20 ms of a cold 10k sync). Dovecot
                # answers pipelined FETCHes one after the other, so the first screen still
                # comes first; a server that interleaves them only delays it.
                if len(in_flight) >= ahead:
                    sent, tag = in_flight.pop(0)
                    ready.put((sent, answer(sent, tag)))
            for sent, tag in in_flight:
                ready.put((sent, answer(sent, tag)))
        except BaseException as exc:  # given to the caller  # noqa: BLE001
            ready.put(exc)
        finally:
            ready.put(None)

    thread = threading.Thread(target=produce, name="imap-reader", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive() or not ready.empty():  # unblock and finish the reader
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()


def _read(conn: Connection, tags: list[bytes], piece: Callable[[list[list[bytes]]], None] | None = None,
          every: int = 0, continuation: bool = False) -> tuple[list[list[bytes]], dict[bytes, Response]]:
    """Read until every tag has completed (or, with ``continuation``, until the server's
    "+" go-ahead, or the tag's completion when it refuses). Bytes read beyond that are kept
    on the connection for the next call. With ``piece``, every ``every`` complete units are
    handed to it as they arrive instead of being returned at the end.

    The buffer is immutable bytes, rebuilt from the unread tail when a chunk arrives: each
    line and literal is then one slice (a bytearray's slice is a copy made into bytes by a
    second copy), and the tails are short next to the 256 KB chunks."""
    reader = conn.reader
    buf = conn.leftover
    conn.leftover = b""
    pos = 0
    units: list[list[bytes]] = []
    done: dict[bytes, Response] = {}
    waiting = set(tags)
    unit: list[bytes] | None = None
    while True:
        end = buf.find(b"\r\n", pos)
        if end < 0:  # read on to the line's end, joining once (a long line stays linear)
            parts = [buf[pos:]]
            while True:
                chunk = reader.read1(CHUNK)
                if not chunk:
                    raise ImapUnavailable("server closed the connection mid-response")
                ends = chunk.find(b"\r\n") >= 0 or (chunk[:1] == b"\n" and parts[-1][-1:] == b"\r")
                parts.append(chunk)
                if ends:
                    break
            buf, pos = b"".join(parts), 0
            end = buf.find(b"\r\n")
        line = buf[pos:end]
        pos = end + 2
        literal = -1
        if line[-1:] == b"}":
            brace = line.rfind(b"{")
            size = line[brace + 1:-1].rstrip(b"+")
            if brace >= 0 and ascii_digits(size):
                literal = int(size)
                line = line[:brace]
        if unit is None:
            tag, space, rest = line.partition(b" ")
            if space and tag in waiting:
                status, _, text = rest.partition(b" ")
                done[tag] = Response(status=status.upper(), text=text)
                waiting.discard(tag)
                if not waiting or continuation:
                    conn.leftover = buf[pos:]
                    return units, done
                continue
            if continuation and line[:1] == b"+":
                conn.leftover = buf[pos:]
                return units, done
            if piece is not None and len(units) >= every:
                piece(units)
                units = []
            unit = [line]
            units.append(unit)
        else:
            unit.append(line)
        if literal < 0:
            unit = None
            continue
        if len(buf) - pos < literal:
            parts = [buf[pos:]]
            have = len(parts[0])
            while have < literal:
                chunk = reader.read1(max(CHUNK, literal - have))
                if not chunk:
                    raise ImapUnavailable("server closed the connection mid-literal")
                parts.append(chunk)
                have += len(chunk)
            buf, pos = b"".join(parts), 0
        unit.append(buf[pos:pos + literal])
        pos += literal
