"""Send a command and read its whole response straight off imaplib's buffered socket.

imaplib (under imapclient) handles a FETCH response line by line and imapclient then parses
every token in Python: about 440 µs a message for ENVELOPE + BODYSTRUCTURE, ten times what
the server needs. For bulk summaries we read the raw response here, split it into response
units (a line plus any literals it announces), and let ``summaries`` pick out only the
fields a list needs. Tags come from imaplib so both readers can share one connection.
"""

from __future__ import annotations

import contextlib
import queue
import ssl
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from .errors import ImapUnavailable

CHUNK = 1 << 18


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


def command(imap: Any, line: bytes, counter: RoundTrips | None = None) -> Response:
    """Send ``line`` (without tag) and read the response. Raises ImapUnavailable on I/O
    errors; NO/BAD are returned for the caller to judge."""
    tag: bytes = imap._new_tag()
    try:
        imap.send(tag + b" " + line + b"\r\n")
        if counter is not None:
            counter.count += 1
        units, done = _read(imap, [tag])
        done[tag].units = units
        return done[tag]
    except (TimeoutError, OSError, ssl.SSLError) as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc


def send(imap: Any, line: bytes, counter: RoundTrips | None = None) -> bytes:
    """Send a command without waiting for its answer (see ``receive``); returns its tag."""
    tag: bytes = imap._new_tag()
    try:
        imap.send(tag + b" " + line + b"\r\n")
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    if counter is not None:
        counter.count += 1
    return tag


def receive(imap: Any, tag: bytes, piece: Callable[[list[list[bytes]]], None] | None = None,
            every: int = 0) -> Response:
    """The answer to a command ``send`` sent (see ``_read`` for ``piece``)."""
    try:
        units, done = _read(imap, [tag], piece, every)
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    done[tag].units = units
    return done[tag]


def pipeline(imap: Any, lines: list[bytes],
             counter: RoundTrips | None = None) -> tuple[list[list[bytes]], list[Response]]:
    """Send several commands at once: one round trip of latency for all of them.

    Servers may run pipelined commands concurrently and complete them in any order (Dovecot
    does), so untagged data cannot be attributed to one command: all of it comes back in one
    list, in arrival order, with each command's completion in the order of ``lines``."""
    tags: list[bytes] = [imap._new_tag() for _ in lines]
    try:
        imap.send(b"".join(tag + b" " + line + b"\r\n" for tag, line in zip(tags, lines, strict=True)))
        if counter is not None:
            counter.count += 1
        units, done = _read(imap, tags)
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc
    return units, [done[tag] for tag in tags]


AHEAD = 2  # commands the reader thread of ``stream`` keeps in flight
WAITING_PIECES = 8  # pieces it reads ahead of the caller before it blocks


def stream(imap: Any, lines: list[bytes], counter: RoundTrips | None = None,
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
            yield line, command(imap, line, counter)
        return
    ready: queue.Queue[tuple[bytes, Response] | BaseException | None] = queue.Queue(WAITING_PIECES)
    stop = threading.Event()

    def answer(sent: bytes, tag: bytes) -> Response:
        def piece(units: list[list[bytes]]) -> None:
            if not stop.is_set():  # a caller that stopped wants no more
                ready.put((sent, Response(units=units)))
        return receive(imap, tag, piece, every)

    def produce() -> None:
        try:
            in_flight: list[tuple[bytes, bytes]] = []
            for line in lines:
                if stop.is_set():
                    break
                in_flight.append((line, send(imap, line, counter)))
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


def _read(imap: Any, tags: list[bytes], piece: Callable[[list[list[bytes]]], None] | None = None,
          every: int = 0) -> tuple[list[list[bytes]], dict[bytes, Response]]:
    """Read until every tag has completed. Bytes read beyond the last completion are kept
    on the connection for the next call. With ``piece``, every ``every`` complete units are
    handed to it as they arrive instead of being returned at the end.

    The buffer is immutable bytes, rebuilt from the unread tail when a chunk arrives: each
    line and literal is then one slice (a bytearray's slice is a copy made into bytes by a
    second copy), and the tails are short next to the 256 KB chunks."""
    reader = imap.file
    buf: bytes = getattr(imap, "_mss_leftover", b"")
    imap._mss_leftover = b""
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
            if brace >= 0 and size.isdigit():
                literal = int(size)
                line = line[:brace]
        if unit is None:
            tag, space, rest = line.partition(b" ")
            if space and tag in waiting:
                status, _, text = rest.partition(b" ")
                done[tag] = Response(status=status.upper(), text=text)
                waiting.discard(tag)
                if not waiting:
                    imap._mss_leftover = buf[pos:]
                    return units, done
                continue
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
