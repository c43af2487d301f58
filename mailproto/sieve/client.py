"""ManageSieve (RFC 5804): the few commands an out-of-office reply needs, on a TLS channel
(STARTTLS before any credential, as with IMAP), authenticated like IMAP (XOAUTH2 with the
PSC token, EXTERNAL with a client certificate). Pure Python, no Django.

Responses are read line by line with every line and literal bounded; a server's string is
tokenised by a single left-to-right scan (no regular expression over what it sent).
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
from dataclasses import dataclass

from mailproto.identifiers import ascii_digits

from ..imap.client import ImapCredentials, sasl_initial_response, tls_context

MAX_LINE = 64 * 1024
MAX_LITERAL = 1024 * 1024  # a script (Dovecot's default sieve_max_script_size)


class SieveError(Exception):
    """Anything that stopped a ManageSieve exchange."""


class SieveUnavailable(SieveError):
    """No server, no TLS, a broken answer: the out-of-office reply cannot be read or set."""


class SieveAuthError(SieveError):
    """The server refused the credentials."""


class SieveRefused(SieveError):
    """The server answered NO to a command (a script it will not take, a quota)."""


@dataclass(frozen=True)
class SieveEndpoint:
    host: str
    port: int
    ca_file: str | None = None
    timeout: float = 15.0
    crl_file: str | None = None


@dataclass(frozen=True)
class SieveScript:
    name: str
    active: bool


def sieve_quote(text: str) -> str:
    """A ManageSieve (and Sieve) quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sieve_literal(text: str) -> bytes:
    """A non-synchronising literal (RFC 5804 §1.6), for a script of any content."""
    data = text.encode("utf-8")
    return b"{%d+}\r\n" % len(data) + data


class SieveSession:
    """One authenticated ManageSieve connection (``sieve_connect``)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.capabilities: dict[str, str] = {}

    # ------------------------------------------------------------------ reading
    def _line(self) -> bytes:
        line = self.reader.readline(MAX_LINE + 1)
        if not line:
            raise SieveUnavailable("server closed the connection")
        if len(line) > MAX_LINE or not line.endswith(b"\n"):
            raise SieveUnavailable("answer line too long")
        return line.rstrip(b"\r\n")

    def _tokens(self) -> list[str]:
        """One response line's tokens: atoms, quoted strings and literals (read here)."""
        tokens: list[str] = []
        line, pos = self._line(), 0
        while pos < len(line):
            char = line[pos:pos + 1]
            if char == b" ":
                pos += 1
            elif char == b'"':
                out, pos = bytearray(), pos + 1
                while pos < len(line) and line[pos:pos + 1] != b'"':
                    if line[pos:pos + 1] == b"\\":
                        pos += 1
                    out += line[pos:pos + 1]
                    pos += 1
                tokens.append(out.decode("utf-8", "replace"))
                pos += 1
            elif char == b"{" and line.endswith(b"}"):
                size = line[pos + 1:-1].rstrip(b"+")
                if not ascii_digits(size) or int(size) > MAX_LITERAL:
                    raise SieveUnavailable("bad literal in the answer")
                data = self.reader.read(int(size))
                if len(data) != int(size):
                    raise SieveUnavailable("server closed the connection mid-literal")
                tokens.append(data.decode("utf-8", "replace"))
                line, pos = self._line(), 0  # the line goes on after the literal
            else:
                end = line.find(b" ", pos)
                end = len(line) if end < 0 else end
                tokens.append(line[pos:end].decode("ascii", "replace"))
                pos = end
        return tokens

    def _response(self) -> tuple[str, list[list[str]], str]:
        """Lines until OK/NO/BYE: (status, data lines, the status's text)."""
        lines: list[list[str]] = []
        while True:
            tokens = self._tokens()
            head = tokens[0].upper() if tokens else ""
            if head in ("OK", "NO", "BYE"):
                return head, lines, " ".join(tokens[1:])
            lines.append(tokens)
            if len(lines) > 10_000:
                raise SieveUnavailable("answer too long")

    def _command(self, line: bytes, literal: bytes = b"") -> list[list[str]]:
        self.sock.sendall(line + (b" " + literal if literal else b"") + b"\r\n")
        status, lines, text = self._response()
        if status == "BYE":
            raise SieveUnavailable(f"server ended the session: {text}")
        if status == "NO":
            raise SieveRefused(text or line.split(b" ")[0].decode())
        return lines

    def _read_capabilities(self) -> None:
        status, lines, text = self._response()
        if status != "OK":
            raise SieveUnavailable(f"no greeting: {text}")
        self.capabilities = {t[0].upper(): (t[1] if len(t) > 1 else "") for t in lines if t}

    # ------------------------------------------------------------------ commands
    def scripts(self) -> list[SieveScript]:
        return [SieveScript(name=t[0], active=len(t) > 1 and t[1].upper() == "ACTIVE")
                for t in self._command(b"LISTSCRIPTS") if t]

    def script_get(self, name: str) -> str:
        lines = self._command(b"GETSCRIPT " + sieve_quote(name).encode())
        return lines[0][0] if lines and lines[0] else ""

    def script_put(self, name: str, text: str) -> None:
        """Stored (the server checks it compiles: ``SieveRefused`` with its reason)."""
        self._command(b"PUTSCRIPT " + sieve_quote(name).encode(), sieve_literal(text))

    def script_activate(self, name: str) -> None:
        """``name`` becomes the one active script; "" deactivates every script."""
        self._command(b"SETACTIVE " + sieve_quote(name).encode())

    def close(self) -> None:
        with contextlib.suppress(OSError, SieveError):
            self._command(b"LOGOUT")
        with contextlib.suppress(OSError):
            self.sock.close()


def sieve_connect(endpoint: SieveEndpoint, credentials: ImapCredentials) -> SieveSession:
    """Connect, STARTTLS (never a credential in clear), authenticate. The caller closes."""
    try:
        raw = socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.timeout)
    except OSError as exc:
        raise SieveUnavailable(f"{endpoint.host}:{endpoint.port}: {exc}") from exc
    session = SieveSession(raw)
    try:
        session._read_capabilities()
        if "STARTTLS" not in session.capabilities:
            raise SieveUnavailable("server does not offer STARTTLS; refusing a clear channel")
        session._command(b"STARTTLS")
        context = tls_context(endpoint.ca_file, credentials, endpoint.crl_file)
        session.sock = context.wrap_socket(raw, server_hostname=endpoint.host)
        session.reader = session.sock.makefile("rb")
        session._read_capabilities()  # RFC 5804 §2.2: sent again after TLS
        mechanism, initial = sasl_initial_response(credentials)
        encoded = base64.b64encode(initial.encode()).decode()
        try:
            session._command(b"AUTHENTICATE " + sieve_quote(mechanism).encode() + b" "
                             + sieve_quote(encoded).encode())
        except SieveRefused as exc:
            raise SieveAuthError(f"{mechanism} refused for {credentials.username}: {exc}") from exc
    except (OSError, ssl.SSLError) as exc:
        with contextlib.suppress(OSError):
            raw.close()
        raise SieveUnavailable(f"{endpoint.host}:{endpoint.port}: {exc}") from exc
    except SieveError:
        with contextlib.suppress(OSError):
            raw.close()
        raise
    return session
