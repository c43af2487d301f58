"""Connect and authenticate to an MSSanté operator's IMAP server, and read list summaries.

MSSanté rules drive the choices here: TLS is mandatory and at least 1.2, the server's
certificate chains to IGC-Santé (so the CA bundle is configurable), personal mailboxes
authenticate with SASL XOAUTH2 carrying the PSC access token, application mailboxes with a
client certificate (SASL EXTERNAL). Dovecot treats 127.0.0.1 as a secure channel and would
take a password before STARTTLS: this client never sends credentials on a clear channel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.header
import email.utils
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from .errors import ImapAuthError, ImapError, ImapUnavailable


class AuthMode(StrEnum):
    XOAUTH2 = "xoauth2"
    OAUTHBEARER = "oauthbearer"
    EXTERNAL = "external"  # client certificate (application mailboxes)
    PLAIN = "plain"  # devstack only


@dataclass(frozen=True)
class ImapEndpoint:
    host: str
    port: int
    security: str = "ssl"  # "ssl" (implicit TLS) or "starttls"
    ca_file: str | None = None
    timeout: float = 15.0


@dataclass(frozen=True)
class ImapCredentials:
    username: str
    mode: AuthMode
    secret: str = ""  # access token or, for PLAIN, the password
    cert_file: str | None = None
    key_file: str | None = None

    def __repr__(self) -> str:  # never show the secret in a traceback or a log
        return f"ImapCredentials(username={self.username!r}, mode={self.mode.value!r})"


@dataclass(frozen=True)
class MessageSummary:
    uid: int
    subject: str
    sender_name: str
    sender_address: str
    date: dt.datetime | None
    size: int
    seen: bool
    flagged: bool
    has_attachments: bool


def tls_context(ca_file: str | None, cert_file: str | None = None,
                key_file: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    return context


def imap_connect(endpoint: ImapEndpoint, credentials: ImapCredentials) -> imapclient.IMAPClient:
    """Open a TLS connection and authenticate; the caller logs out."""
    context = tls_context(endpoint.ca_file, credentials.cert_file, credentials.key_file)
    try:
        if endpoint.security == "ssl":
            client = imapclient.IMAPClient(endpoint.host, endpoint.port, ssl=True,
                                           ssl_context=context, timeout=endpoint.timeout)
        elif endpoint.security == "starttls":
            client = imapclient.IMAPClient(endpoint.host, endpoint.port, ssl=False,
                                           timeout=endpoint.timeout)
            if not client.has_capability("STARTTLS"):
                client.shutdown()
                raise ImapUnavailable("server does not offer STARTTLS; refusing a clear channel")
            client.starttls(context)
        else:
            raise ValueError(f"unknown IMAP security {endpoint.security!r}")
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        if isinstance(exc, ImapError):
            raise
        raise ImapUnavailable(f"{endpoint.host}:{endpoint.port}: {exc}") from exc
    try:
        _authenticate(client, credentials)
    except LoginError as exc:
        _quietly_close(client)
        raise ImapAuthError(f"{credentials.mode.value} refused for {credentials.username}") from exc
    except (OSError, IMAPClientError) as exc:
        _quietly_close(client)
        raise ImapUnavailable(f"{endpoint.host}:{endpoint.port}: {exc}") from exc
    return client


def _authenticate(client: imapclient.IMAPClient, credentials: ImapCredentials) -> None:
    mode = credentials.mode
    if mode is AuthMode.XOAUTH2:
        client.oauth2_login(credentials.username, credentials.secret)
    elif mode is AuthMode.OAUTHBEARER:
        client.oauthbearer_login(credentials.username, credentials.secret)
    elif mode is AuthMode.EXTERNAL:
        if not credentials.cert_file:
            raise ImapAuthError("EXTERNAL needs a client certificate")
        try:
            client.sasl_login("EXTERNAL", lambda _challenge: b"")
        except IMAPClientError as exc:
            raise LoginError(str(exc)) from exc
    elif mode is AuthMode.PLAIN:
        client.plain_login(credentials.username, credentials.secret)
    else:  # pragma: no cover - exhaustive enum
        raise ValueError(mode)


def _quietly_close(client: imapclient.IMAPClient) -> None:
    with contextlib.suppress(OSError, IMAPClientError):
        client.shutdown()


def _text(value: bytes | str | None) -> str:
    """Decode an RFC 2047 header value as found in an ENVELOPE; never raise on junk."""
    if value is None:
        return ""
    raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except (LookupError, ValueError, UnicodeError):
        return raw


def _has_attachments(structure: Any) -> bool:
    """True when a BODYSTRUCTURE has a part with an attachment disposition or a file name."""
    if structure is None:
        return False
    if getattr(structure, "is_multipart", False):
        parts = structure[0] if isinstance(structure[0], list) else []
        return any(_has_attachments(part) for part in parts)
    try:
        for item in structure[8:] if len(structure) > 8 else ():
            if isinstance(item, tuple) and item and item[0] in (b"attachment", b"ATTACHMENT"):
                return True
        params = structure[2]
        if isinstance(params, tuple) and b"NAME" in [p.upper() for p in params[::2] if isinstance(p, bytes)]:
            return True
    except (TypeError, IndexError):
        return False
    return False


def latest_summaries(client: imapclient.IMAPClient, folder: str = "INBOX",
                     limit: int = 50) -> list[MessageSummary]:
    """The newest ``limit`` messages of a folder, newest first, read-only."""
    info = client.select_folder(folder, readonly=True)
    if not info.get(b"EXISTS"):
        return []
    uids = sorted(client.search("ALL"))[-limit:]
    data = client.fetch(uids, ["FLAGS", "ENVELOPE", "RFC822.SIZE", "BODYSTRUCTURE"])
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted((_summary(uid, data[uid]) for uid in uids if uid in data),
                  key=lambda s: (s.date or epoch, s.uid), reverse=True)


def _summary(uid: int, item: dict[bytes, Any]) -> MessageSummary:
    envelope: Any = item.get(b"ENVELOPE")
    flags: Iterable[bytes] = item.get(b"FLAGS", ())
    sender_name = sender_address = ""
    subject = ""
    date = None
    if envelope is not None:
        subject = _text(envelope.subject)
        # imapclient gives a naive datetime in the machine's local time.
        date = envelope.date.astimezone(dt.UTC) if envelope.date else None
        senders = envelope.from_ or envelope.sender or ()
        if senders:
            first = senders[0]
            sender_name = _text(first.name)
            mailbox = (first.mailbox or b"").decode("utf-8", "replace")
            host = (first.host or b"").decode("utf-8", "replace")
            sender_address = f"{mailbox}@{host}" if host else mailbox
    return MessageSummary(
        uid=uid, subject=subject, sender_name=sender_name, sender_address=sender_address,
        date=date, size=int(item.get(b"RFC822.SIZE", 0) or 0),
        seen=b"\\Seen" in flags, flagged=b"\\Flagged" in flags,
        has_attachments=_has_attachments(item.get(b"BODYSTRUCTURE")),
    )

