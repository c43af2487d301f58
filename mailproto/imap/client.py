"""Connect and authenticate to an MSSanté operator's IMAP server, and read list summaries.

MSSanté rules drive the choices here: TLS is mandatory and at least 1.2, the server's
certificate chains to IGC-Santé (so the CA bundle is configurable), personal mailboxes
authenticate with SASL XOAUTH2 carrying the PSC access token, application mailboxes with a
client certificate (SASL EXTERNAL). Dovecot treats 127.0.0.1 as a secure channel and would
take a password before STARTTLS: this client never sends credentials on a clear channel.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
import tempfile
from dataclasses import dataclass
from enum import StrEnum

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from mailproto.tls import operator_context

from .errors import ImapAuthError, ImapError, ImapUnavailable

logger = logging.getLogger(__name__)


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
    crl_file: str | None = None  # the operators' CAs' CRLs: a revoked server is refused


@dataclass(frozen=True)
class ImapCredentials:
    username: str
    mode: AuthMode
    secret: str = ""  # access token or, for PLAIN, the password
    cert_file: str | None = None
    key_file: str | None = None
    cert_pem: bytes = b""  # a key and certificate kept encrypted by the site, in memory here

    def __repr__(self) -> str:  # never show the secret in a traceback or a log
        return f"ImapCredentials(username={self.username!r}, mode={self.mode.value!r})"


def sasl_initial_response(credentials: ImapCredentials) -> tuple[str, str]:
    """(mechanism, initial client response) for protocols that take SASL with an initial
    response (SMTP AUTH, ManageSieve AUTHENTICATE): XOAUTH2 and OAUTHBEARER carry the PSC
    token, EXTERNAL relies on the client certificate, PLAIN is the devstack's password."""
    user, secret = credentials.username, credentials.secret
    if credentials.mode is AuthMode.XOAUTH2:
        return "XOAUTH2", f"user={user}\x01auth=Bearer {secret}\x01\x01"
    if credentials.mode is AuthMode.OAUTHBEARER:
        return "OAUTHBEARER", f"n,a={user},\x01auth=Bearer {secret}\x01\x01"
    if credentials.mode is AuthMode.EXTERNAL:
        return "EXTERNAL", ""
    return "PLAIN", f"\x00{user}\x00{secret}"


def tls_context(ca_file: str | None, credentials: ImapCredentials | None = None,
                crl_file: str | None = None) -> ssl.SSLContext:
    context = operator_context(ca_file, crl_file)
    if credentials is not None and credentials.cert_pem:
        _load_pem_chain(context, credentials.cert_pem)
    elif credentials is not None and credentials.cert_file:
        context.load_cert_chain(credentials.cert_file, credentials.key_file)
    return context


KEY_FILE_PREFIX = "mssweb-cert-"
SHM = "/dev/shm"  # noqa: S108 - mkstemp creates the file exclusively, mode 0600


def _key_directory() -> str | None:
    return SHM if os.path.isdir(SHM) and os.access(SHM, os.W_OK) else None


def stale_key_files_sweep(*, older_than: float = 60.0, directory: str | None = None) -> int:
    """Remove the decrypted key files a killed process left behind (one lives for the
    milliseconds of a handshake; a process killed between writing and unlinking leaves it):
    run when a process starts. Returns how many were removed."""
    import time

    folder = directory or _key_directory() or tempfile.gettempdir()
    removed = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.startswith(KEY_FILE_PREFIX) and name.endswith(".pem"):
            try:
                if time.time() - os.stat(path).st_mtime > older_than:
                    os.unlink(path)
                    removed += 1
            except OSError:
                continue  # gone meanwhile, or another user's
    if removed:
        logger.warning("removed %d stale decrypted key file(s) from %s", removed, folder)
    return removed


def _load_pem_chain(context: ssl.SSLContext, pem: bytes) -> None:
    """ssl reads a key only from a file: one readable by this process alone, in memory
    where the system offers it (/dev/shm), removed as soon as it is read."""
    handle, path = tempfile.mkstemp(prefix=KEY_FILE_PREFIX, suffix=".pem", dir=_key_directory())  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pem)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)


def _open(endpoint: ImapEndpoint, context: ssl.SSLContext) -> imapclient.IMAPClient:
    """A TLS connection that has read the server's greeting, never a clear channel."""
    try:
        if endpoint.security == "ssl":
            return imapclient.IMAPClient(endpoint.host, endpoint.port, ssl=True,
                                         ssl_context=context, timeout=endpoint.timeout)
        if endpoint.security == "starttls":
            client = imapclient.IMAPClient(endpoint.host, endpoint.port, ssl=False,
                                           timeout=endpoint.timeout)
            if not client.has_capability("STARTTLS"):
                client.shutdown()
                raise ImapUnavailable("server does not offer STARTTLS; refusing a clear channel")
            client.starttls(context)
            return client
        raise ValueError(f"unknown IMAP security {endpoint.security!r}")
    except (OSError, IMAPClientError, ssl.SSLError) as exc:
        if isinstance(exc, ImapError):
            raise
        raise ImapUnavailable(f"{endpoint.host}:{endpoint.port}: {exc}") from exc


def imap_connect(endpoint: ImapEndpoint, credentials: ImapCredentials) -> imapclient.IMAPClient:
    """Open a TLS connection and authenticate; the caller logs out."""
    client = _open(endpoint, tls_context(endpoint.ca_file, credentials, endpoint.crl_file))
    try:
        _authenticate(client, credentials)
    except LoginError as exc:
        _quietly_close(client)
        raise ImapAuthError(f"{credentials.mode.value} refused for {credentials.username}") from exc
    except (OSError, IMAPClientError) as exc:
        _quietly_close(client)
        raise ImapUnavailable(f"{endpoint.host}:{endpoint.port}: {exc}") from exc
    return client


def imap_greeting_check(endpoint: ImapEndpoint) -> None:
    """Reachability without credentials, for readiness probes: the TLS handshake and the
    server's greeting (after STARTTLS where asked). Raises ``ImapUnavailable``."""
    _quietly_close(_open(endpoint, tls_context(endpoint.ca_file, crl_file=endpoint.crl_file)))


def _authenticate(client: imapclient.IMAPClient, credentials: ImapCredentials) -> None:
    mode = credentials.mode
    if mode is AuthMode.XOAUTH2:
        client.oauth2_login(credentials.username, credentials.secret)
    elif mode is AuthMode.OAUTHBEARER:
        client.oauthbearer_login(credentials.username, credentials.secret)
    elif mode is AuthMode.EXTERNAL:
        if not (credentials.cert_file or credentials.cert_pem):
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
