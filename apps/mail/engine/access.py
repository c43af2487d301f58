"""How every caller reaches a mailbox: one ``MailAccess`` (the mailbox, how to get a PSC
token, whose pooled connections to use), built in one place per kind of caller, and one
rule for credentials refused.

Kinds of caller:

* a signed-in request (``mail_access_for_request``): tokens from the request's session,
  connections pooled per user;
* a worker holding a user's session key (``mail_access_for_session_key``): tokens from the
  stored session, connections pooled per session;
* a certificate mailbox (``mail_access_for_certificate``): no token, one pool for the
  mailbox.

An XOAUTH2 refusal is retried once with a fresh token, as MSSanté clients must, for IMAP
and SMTP alike (``with_credentials``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.sessions.backends.base import SessionBase

from apps.accounts.selectors import session_user_get
from apps.accounts.services import psc_access_token_for_session_key, psc_access_token_get
from apps.core.errors import MailAuthError, MailServerUnavailable, OperatorCertificateRefused, SessionExpired
from mailproto.imap import ImapAuthError, ImapCredentials, ImapError, ImapUnavailable, imap_connect
from mailproto.imap.session import ImapSession
from mailproto.tls import certificate_refusal

from ..models import Mailbox
from ..selectors import mailbox_imap_credentials, mailbox_imap_endpoint, mailbox_open_to
from .pool import POOL

logger = logging.getLogger(__name__)

TokenProvider = Callable[[bool], str]  # ``provider(True)`` forces a fresh token
T = TypeVar("T")


@dataclass(frozen=True)
class MailAccess:
    """A mailbox and the means to open it. ``pool_key`` names whose credentials these are:
    sessions are then pooled under it (and the mailbox's endpoint) instead of a new login
    each time; None logs in afresh for each use (tests, one-off tools)."""

    mailbox: Mailbox
    token_provider: TokenProvider | None = None
    pool_key: str | None = None
    # The idNat of a delegate opening someone else's mailbox with their own token ("" for
    # the owner): the operator must see who asks (MSSANTE_DELEGATE_LOGIN).
    delegate_idnat: str = ""

    @property
    def uses_token(self) -> bool:
        return self.mailbox.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2

    def __repr__(self) -> str:
        return f"MailAccess({self.mailbox.address!r}, pool_key={self.pool_key!r})"


def mail_access_for_request(*, mailbox: Mailbox, session: SessionBase, user_pk: int,
                            actor: str = "") -> MailAccess:
    """For a page: tokens from the request's PSC session, pooled per user."""
    def provider(force: bool) -> str:
        return psc_access_token_get(session=session, actor=actor, force_refresh=force)

    return MailAccess(mailbox=mailbox, token_provider=provider, pool_key=f"user:{user_pk}",
                      delegate_idnat=actor if mailbox.owner_id != user_pk else "")


def mail_access_for_session_key(*, mailbox: Mailbox, session_key: str | None,
                                pooled: bool = True) -> MailAccess:
    """For a worker acting for a user: tokens from the user's stored session (``SessionExpired``
    once it is over), pooled per session unless not ``pooled``; a certificate mailbox needs
    no session."""
    if mailbox.auth_mode != Mailbox.AuthMode.PSC_XOAUTH2:
        return mail_access_for_certificate(mailbox=mailbox, pooled=pooled)
    key = session_key or ""  # none: the first token asked raises SessionExpired

    def provider(force: bool) -> str:
        return psc_access_token_for_session_key(session_key=key, force_refresh=force)

    user_id, idnat = session_user_get(session_key=key) if key else (None, "")
    if user_id is not None and not mailbox_open_to(user_id=user_id, mailbox_id=mailbox.pk):
        # the delegation was revoked or ran out, or the user was deactivated, since the work
        # was queued: it does not log in as them
        raise SessionExpired(f"user {user_id} may no longer open {mailbox.address}")
    return MailAccess(mailbox=mailbox, token_provider=provider,
                      pool_key=f"session:{key}" if pooled else None,
                      delegate_idnat=idnat if user_id is not None and user_id != mailbox.owner_id else "")


def mail_access_for_certificate(*, mailbox: Mailbox, pooled: bool = True) -> MailAccess:
    """A mailbox that needs no PSC token (client certificate, devstack password)."""
    return MailAccess(mailbox=mailbox, token_provider=None, pool_key="certificate" if pooled else None)


def with_credentials(*, access: MailAccess, use: Callable[[ImapCredentials], T],
                     refused: Callable[[Exception], bool]) -> T:
    """``use(credentials)``; when the server refuses a token (``refused(exc)``), once more
    with a fresh one: PSC tokens live 120 s and the one in hand may have just expired."""
    mailbox = access.mailbox
    if access.uses_token and access.token_provider is None:
        raise MailAuthError(f"{mailbox.address}: no PSC token available")
    for attempt in (0, 1):
        token = (access.token_provider(attempt == 1)
                 if access.uses_token and access.token_provider else None)
        credentials = mailbox_imap_credentials(mailbox=mailbox, access_token=token,
                                               delegate_idnat=access.delegate_idnat)
        try:
            return use(credentials)
        except Exception as exc:
            if attempt == 0 and access.uses_token and refused(exc):
                logger.info("%s refused the token for %s; retrying once with a fresh one",
                            type(exc).__name__, mailbox.address)
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def operator_unavailable(exc: BaseException) -> MailServerUnavailable:
    """The error a user sees when the operator's server could not be used: said in words
    when its certificate was refused (revoked, expired, not IGC-Santé's...), since trying
    again will not help and the structure's administrator must hear of it."""
    reason = certificate_refusal(exc)
    if reason is None:
        return MailServerUnavailable(str(exc))
    return OperatorCertificateRefused(f"operator certificate refused ({reason}): {exc}",
                                      user_message=str(OperatorCertificateRefused.reasons().get(
                                          reason, OperatorCertificateRefused.default_message)))


def authenticated_open(*, access: MailAccess, use: Callable[[ImapCredentials], T], what: str,
                       refused: type[Exception], unavailable: type[Exception]) -> T:
    """``use(credentials)`` under the one retry rule (``with_credentials``), for any of the
    operator's protocols: a refusal becomes ``MailAuthError``, an unreachable server
    ``MailServerUnavailable``, each logged once with ``what`` ("IMAP", "ManageSieve")."""
    try:
        return with_credentials(access=access, refused=lambda exc: isinstance(exc, refused), use=use)
    except refused as exc:
        logger.warning("%s authentication refused for %s: %s", what, access.mailbox.address, exc)
        raise MailAuthError(str(exc)) from exc
    except unavailable as exc:
        logger.error("%s server unavailable for %s: %s", what, access.mailbox.address, exc)
        raise operator_unavailable(exc) from exc


def mailbox_session_open(*, access: MailAccess) -> ImapSession:
    """A new authenticated IMAP session (the caller closes it)."""
    endpoint = mailbox_imap_endpoint(mailbox=access.mailbox)
    return authenticated_open(access=access, what="IMAP", refused=ImapAuthError, unavailable=ImapUnavailable,
                              use=lambda credentials: ImapSession(imap_connect(endpoint, credentials)))


@contextmanager
def mailbox_session(*, access: MailAccess) -> Iterator[ImapSession]:
    """An authenticated session, from and back to the process's pool when the access has
    a pool key. IMAP errors end as ``MailServerUnavailable`` (logged) and the session is
    then dropped, never pooled again."""
    mailbox = access.mailbox
    endpoint = mailbox_imap_endpoint(mailbox=mailbox)
    # The endpoint and mode are part of the key: a mailbox re-pointed by its administrator
    # must not keep talking to the old server through a pooled connection.
    key = (mailbox.pk, f"{access.pool_key}|{endpoint.host}:{endpoint.port}|{mailbox.auth_mode}")
    if access.pool_key and access.uses_token and access.token_provider:
        # A pooled connection is already logged in: without this, it would go on serving a
        # user whose PSC session has ended (refresh refused, signed out). Asking for a token
        # proves the session alive (refreshing it when due) before any command is sent.
        try:
            access.token_provider(False)
        except SessionExpired:
            POOL.close_owner(access.pool_key)
            raise
    session = (POOL.acquire(key, lambda: mailbox_session_open(access=access)) if access.pool_key
               else mailbox_session_open(access=access))
    broken = False
    try:
        yield session
    except ImapError as exc:
        broken = True
        logger.error("IMAP error on %s: %s", mailbox.address, exc)
        raise MailServerUnavailable(str(exc)) from exc
    except BaseException:
        broken = True
        raise
    finally:
        if access.pool_key:
            POOL.release(key, session, broken)
        else:
            session.close()
