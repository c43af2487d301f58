"""IMAP access to the operator's server. Pure Python: no Django import here."""

from .client import (
    AuthMode,
    ImapAuthError,
    ImapCredentials,
    ImapEndpoint,
    ImapError,
    ImapUnavailable,
    MessageSummary,
    imap_connect,
    latest_summaries,
    tls_context,
)

__all__ = [
    "AuthMode",
    "ImapAuthError",
    "ImapCredentials",
    "ImapEndpoint",
    "ImapError",
    "ImapUnavailable",
    "MessageSummary",
    "imap_connect",
    "latest_summaries",
    "tls_context",
]
