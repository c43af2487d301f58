"""IMAP access to the operator's server. Pure Python: no Django import here."""

from .client import (
    AuthMode,
    ImapCredentials,
    ImapEndpoint,
    imap_connect,
    imap_greeting_check,
    tls_context,
)
from .errors import ImapAuthError, ImapCommandError, ImapError, ImapUnavailable

__all__ = [
    "AuthMode",
    "ImapAuthError",
    "ImapCommandError",
    "ImapCredentials",
    "ImapEndpoint",
    "ImapError",
    "ImapUnavailable",
    "imap_connect",
    "imap_greeting_check",
    "tls_context",
]
