"""Send a command and read its whole response straight off imaplib's buffered socket.

imaplib (under imapclient) handles a FETCH response line by line and imapclient then parses
every token in Python: about 440 µs a message for ENVELOPE + BODYSTRUCTURE, ten times what
the server needs. For bulk summaries we read the raw response here, split it into response
units (a line plus any literals it announces), and let ``summaries`` pick out only the
fields a list needs. Tags come from imaplib so both readers can share one connection.
"""

from __future__ import annotations

import ssl
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
        return _read(imap.file, tag)
    except (TimeoutError, OSError, ssl.SSLError) as exc:
        raise ImapUnavailable(f"connection lost: {exc}") from exc


def _read(reader: Any, tag: bytes) -> Response:
    buf = bytearray()
    pos = 0
    response = Response()
    unit: list[bytes] | None = None
    tag_prefix = tag + b" "
    while True:
        end = buf.find(b"\r\n", pos)
        while end < 0:
            if pos > CHUNK * 4:  # drop what is parsed so the buffer stays small
                del buf[:pos]
                pos = 0
            chunk = reader.read1(CHUNK)
            if not chunk:
                raise ImapUnavailable("server closed the connection mid-response")
            buf += chunk
            end = buf.find(b"\r\n", pos)
        line = bytes(buf[pos:end])
        pos = end + 2
        literal = -1
        if line.endswith(b"}"):
            brace = line.rfind(b"{")
            size = line[brace + 1:-1].rstrip(b"+")
            if brace >= 0 and size.isdigit():
                literal = int(size)
                line = line[:brace]
        if unit is None:
            if line.startswith(tag_prefix):
                status, _, text = line[len(tag_prefix):].partition(b" ")
                response.status, response.text = status.upper(), text
                return response
            unit = [line]
            response.units.append(unit)
        else:
            unit.append(line)
        if literal < 0:
            unit = None
            continue
        while len(buf) - pos < literal:
            if pos > CHUNK * 4:
                del buf[:pos]
                pos = 0
            chunk = reader.read1(max(CHUNK, literal - (len(buf) - pos)))
            if not chunk:
                raise ImapUnavailable("server closed the connection mid-literal")
            buf += chunk
        unit.append(bytes(buf[pos:pos + literal]))
        pos += literal
