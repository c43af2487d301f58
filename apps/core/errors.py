"""One error hierarchy for the whole site, each error carrying a French user message.

Views turn an ``ApplicationError`` into a page or an htmx fragment showing
``user_message``; the technical detail goes to the operator's log only.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base of every error a user may be told about."""

    default_message = _("An unexpected error occurred. Please try again.")

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        super().__init__(detail or str(self.default_message))
        self.detail = detail
        self._user_message = user_message

    @property
    def user_message(self) -> str:
        return str(self._user_message or self.default_message)


class MailServerUnavailable(ApplicationError):
    default_message = _(
        "Your operator's mail server is not answering. Messages already shown remain "
        "available; try again in a few moments."
    )


class OperatorCertificateRefused(MailServerUnavailable):
    """The operator's server showed a certificate the client must refuse (ECO.1.1.5–1.1.10):
    nothing was sent to it, and trying again will not help."""

    default_message = _(
        "The certificate of your operator's server was refused: the connection was not made and "
        "nothing was sent. Tell your structure's administrator.")

    @staticmethod
    def reasons() -> dict[str, object]:
        return {
            "revoked": _("The certificate of your operator's server has been revoked: the connection "
                         "was refused and nothing was sent. Tell your structure's administrator."),
            "expired": _("The certificate of your operator's server has expired: the connection was "
                         "refused and nothing was sent. Tell your structure's administrator."),
            "crl_expired": _("The revocation list of your operator's certificates is out of date, so "
                             "its server cannot be trusted: the connection was refused. It is renewed "
                             "automatically; tell your structure's administrator if this lasts."),
            "crl_missing": _("The revocation list of your operator's certificates could not be obtained, "
                             "so its server cannot be trusted: the connection was refused. Tell your "
                             "structure's administrator if this lasts."),
            "untrusted": _("The certificate of your operator's server is not one of IGC-Santé's: the "
                           "connection was refused and nothing was sent. Tell your structure's "
                           "administrator."),
        }


class MailAuthError(ApplicationError):
    default_message = _(
        "Your operator's mail server refused the connection to your mailbox. "
        "Sign in again with Pro Santé Connect."
    )


class IndexUnavailable(ApplicationError):
    """Our side failed while storing what the operator's server sent (the index database
    full, locked or down, the writer process killed): nothing on the server is touched."""

    default_message = _(
        "The list of your messages could not be updated on our side. Messages already shown "
        "remain available; it will be tried again automatically in a few minutes."
    )


class SyncInProgress(ApplicationError):
    """Another sync of the mailbox holds its lock (a worker, another page): nothing was done."""

    default_message = _(
        "Your mailbox is being synchronised. The new messages will appear in a few moments."
    )


class SessionExpired(ApplicationError):
    default_message = _("Your Pro Santé Connect session has ended. Please sign in again.")


class NoMailbox(ApplicationError):
    default_message = _(
        "No MSSanté mailbox is linked to your account yet. Ask your structure's "
        "administrator to link one."
    )


class ReadOnlyMailbox(ApplicationError):
    """A delegate with read-only rights asked to send, move, delete or change settings."""

    default_message = _(
        "You may read this mailbox but not send from it, move or delete its messages: "
        "your delegation is read-only. Ask your structure's administrator for more.")


class NotFound(ApplicationError):
    """What a URL names is not the user's, or not there (a mailbox, a folder, a message's
    row, an outbox entry): pages answer 404, as for anything that does not exist."""


class MessageGone(ApplicationError):
    """The message is no longer on the operator's server (moved or deleted elsewhere):
    pages answer 404, a forward or draft that carried it says so in its own words."""


class ProviderUnavailable(ApplicationError):
    """Pro Santé Connect (or the configured OpenID Connect provider) cannot be reached or
    gave a document we cannot use: sign-in waits, nothing else is affected."""

    default_message = _(
        "Pro Santé Connect cannot be reached at the moment. Please try again in a few minutes."
    )
