"""Reads for the mail engine.

Until the sync engine lands (issue "Mail engine"), the inbox list is read live from IMAP;
the function's signature is the one the index-backed version will keep.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.core.errors import MailAuthError, MailServerUnavailable, NoMailbox

from .imap import (
    AuthMode,
    ImapAuthError,
    ImapCredentials,
    ImapEndpoint,
    ImapUnavailable,
    MessageSummary,
    imap_connect,
    latest_summaries,
)
from .models import Mailbox

logger = logging.getLogger(__name__)


def mailbox_list_for_user(*, user: User) -> QuerySet[Mailbox]:
    # PER, ORG, CAB, APP: a personal mailbox first.
    return Mailbox.objects.filter(owner=user).order_by("-kind", "address")


def mailbox_primary_for_user(*, user: User) -> Mailbox:
    mailbox = mailbox_list_for_user(user=user).first()
    if mailbox is None:
        raise NoMailbox(f"user {user.pk} has no mailbox")
    return mailbox


def mailbox_imap_endpoint(*, mailbox: Mailbox) -> ImapEndpoint:
    return ImapEndpoint(
        host=mailbox.imap_host or settings.MSSANTE_IMAP_HOST,
        port=mailbox.imap_port or settings.MSSANTE_IMAP_PORT,
        security=settings.MSSANTE_IMAP_SECURITY,
        ca_file=settings.MSSANTE_TLS_CA_FILE or None,
        timeout=settings.MSSANTE_IMAP_TIMEOUT,
    )


def mailbox_imap_credentials(*, mailbox: Mailbox, access_token: str | None) -> ImapCredentials:
    if mailbox.auth_mode == Mailbox.AuthMode.CLIENT_CERTIFICATE:
        return ImapCredentials(username=mailbox.address, mode=AuthMode.EXTERNAL,
                               cert_file=mailbox.client_cert_file,
                               key_file=mailbox.client_key_file or None)
    if mailbox.auth_mode == Mailbox.AuthMode.PASSWORD:
        return ImapCredentials(username=mailbox.address, mode=AuthMode.PLAIN,
                               secret=settings.MSSANTE_DEVSTACK_PASSWORD)
    return ImapCredentials(username=mailbox.address, mode=AuthMode.XOAUTH2,
                           secret=access_token or "")


def mailbox_inbox_summaries(*, mailbox: Mailbox, access_token: str | None,
                            limit: int = 50) -> list[MessageSummary]:
    """The newest messages of the mailbox's INBOX, newest first."""
    endpoint = mailbox_imap_endpoint(mailbox=mailbox)
    credentials = mailbox_imap_credentials(mailbox=mailbox, access_token=access_token)
    try:
        client = imap_connect(endpoint, credentials)
    except ImapAuthError as exc:
        logger.warning("IMAP authentication refused for %s: %s", mailbox.address, exc)
        raise MailAuthError(str(exc)) from exc
    except ImapUnavailable as exc:
        logger.error("IMAP server unavailable for %s: %s", mailbox.address, exc)
        raise MailServerUnavailable(str(exc)) from exc
    try:
        return latest_summaries(client, "INBOX", limit)
    except (OSError, ImapUnavailable) as exc:
        logger.error("IMAP read failed for %s: %s", mailbox.address, exc)
        raise MailServerUnavailable(str(exc)) from exc
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the answer is already read
            logger.debug("IMAP logout failed for %s", mailbox.address)
