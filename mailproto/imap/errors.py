"""Errors of the IMAP layer; callers map them to the site's user-facing errors."""


class ImapError(Exception):
    """Base of what this layer raises."""


class ImapUnavailable(ImapError):
    """The server could not be reached, refused TLS, or broke the connection."""


class ImapAuthError(ImapError):
    """The server refused the credentials (expired token, wrong certificate...)."""


class ImapCommandError(ImapError):
    """The server answered NO or BAD to a command."""
