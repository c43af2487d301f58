"""Submit a message over SMTP with the same authentication rules as IMAP: TLS always
(STARTTLS required, or implicit TLS), XOAUTH2 with the PSC token, EXTERNAL with a client
certificate, PLAIN for the development stack."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from mailproto.imap.client import AuthMode, ImapCredentials, sasl_initial_response, tls_context


class SmtpError(Exception):
    """Base of what this layer raises."""


class SmtpUnavailable(SmtpError):
    """The server could not be reached or broke the connection: try again later."""


class SmtpRefused(SmtpError):
    """The server refused the credentials, the sender or a recipient: do not retry as is."""


@dataclass(frozen=True)
class SmtpEndpoint:
    host: str
    port: int
    security: str = "starttls"  # "starttls" or "ssl"
    ca_file: str | None = None
    timeout: float = 30.0
    crl_file: str | None = None


def xtext(value: str) -> str:
    """RFC 3461 xtext: ENVID and ORCPT values with "+", "=" and non-printables as +XX."""
    return "".join(c if 33 <= ord(c) <= 126 and c not in "+=" else f"+{ord(c):02X}"
                   for c in value.encode("ascii", "replace").decode())


def smtp_submit(endpoint: SmtpEndpoint, credentials: ImapCredentials, sender: str,
                recipients: Sequence[str], message: bytes, dsn_envelope_id: str = "") -> None:
    """Submit ``message``. With ``dsn_envelope_id`` (the Message-ID), delivery reports are
    asked for every recipient (success and failure, RFC 3461) when the server offers DSN;
    the reports come back to the sender's INBOX."""
    context = tls_context(endpoint.ca_file, credentials, endpoint.crl_file)
    try:
        if endpoint.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(endpoint.host, endpoint.port,
                                                  timeout=endpoint.timeout, context=context)
        else:
            smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=endpoint.timeout)
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                smtp.close()
                raise SmtpUnavailable("server does not offer STARTTLS; refusing a clear channel")
            smtp.starttls(context=context)
        with smtp:
            smtp.ehlo()
            _authenticate(smtp, credentials)
            mail_options: list[str] = []
            rcpt_options: list[str] = []
            if dsn_envelope_id and smtp.has_extn("dsn"):
                mail_options = ["RET=HDRS", f"ENVID={xtext(dsn_envelope_id)}"]
                rcpt_options = ["NOTIFY=SUCCESS,FAILURE,DELAY"]
            refused = smtp.sendmail(sender, list(recipients), message, mail_options, rcpt_options)
            if refused:
                raise SmtpRefused(f"recipients refused: {sorted(refused)}")
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpRefused(f"authentication refused ({exc.smtp_code})") from exc
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
            smtplib.SMTPDataError) as exc:
        raise SmtpRefused(str(exc)) from exc
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        if isinstance(exc, SmtpError):
            raise
        raise SmtpUnavailable(f"{endpoint.host}:{endpoint.port}: {exc}") from exc


def _authenticate(smtp: smtplib.SMTP, credentials: ImapCredentials) -> None:
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if credentials.mode is AuthMode.EXTERNAL and "EXTERNAL" not in offered:
        return  # the client certificate of the TLS handshake is the authentication (operators
        # know application mailboxes by it; SASL EXTERNAL only where the server offers it)
    if credentials.mode is AuthMode.PLAIN:
        smtp.login(credentials.username, credentials.secret)
        return
    mechanism, initial = sasl_initial_response(credentials)
    smtp.auth(mechanism, lambda challenge=None: "" if challenge else initial, initial_response_ok=True)
