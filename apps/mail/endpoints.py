"""Where a mailbox's servers are, in one place for IMAP, SMTP and ManageSieve.

In order: what the administrator set on the mailbox, else the site's settings, else, when
``MSSANTE_IMAP_HOST`` / ``MSSANTE_SMTP_HOST`` are left empty, the SRV records of the
mailbox's domain (ECO.1.1.9, ``mailproto.discovery``), kept in the cache for their TTL. Every
endpoint carries the CA bundle and the kept CRLs (``revocation``): a revoked operator
certificate is refused whichever protocol meets it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from apps.core.errors import MailServerUnavailable
from mailproto.discovery import Discovered, DiscoveryFailed, Service, services_discover
from mailproto.imap import ImapEndpoint
from mailproto.sieve.client import SieveEndpoint
from mailproto.smtp.client import SmtpEndpoint

from .models import Mailbox
from .revocation import crl_file_current

logger = logging.getLogger(__name__)


class ServersNotFound(MailServerUnavailable):
    default_message = _(
        "Your mailbox's servers could not be found from its domain (DNS SRV records). Ask your "
        "structure's administrator to set them in the mailbox's settings.")


def _discovered(domain: str) -> Discovered:
    key = f"mail:srv:{domain}"
    found = cache.get(key)
    if isinstance(found, Discovered):
        return found
    nameserver, _sep, port = settings.MSSANTE_DNS_SERVER.partition(":")
    try:
        found = services_discover(domain=domain, nameserver=nameserver or None, port=int(port or 53))
    except DiscoveryFailed as exc:
        logger.error("no servers found for %s by DNS SRV: %s", domain, exc)
        raise ServersNotFound(str(exc)) from exc
    logger.info("servers of %s found by DNS SRV: IMAP %s, submission %s", domain, found.imap,
                found.submission)
    cache.set(key, found, found.ttl)
    return found


def _service(mailbox: Mailbox, kind: str) -> Service:
    found = getattr(_discovered(mailbox.address.rpartition("@")[2]), kind)
    if found is None:
        raise ServersNotFound(f"{mailbox.address}: no {kind} SRV record")
    return found


def _server(mailbox: Mailbox, kind: str) -> Service:
    """Where ``kind`` ("imap" or "submission") is: the mailbox's own setting, else the
    site's, else the domain's SRV record; a port set on the mailbox wins in every case."""
    prefix = "imap" if kind == "imap" else "smtp"
    host = getattr(mailbox, f"{prefix}_host") or getattr(settings, f"MSSANTE_{prefix.upper()}_HOST")
    service = _service(mailbox, kind) if not host else Service(
        host=host, port=getattr(settings, f"MSSANTE_{prefix.upper()}_PORT"),
        security=getattr(settings, f"MSSANTE_{prefix.upper()}_SECURITY"))
    port = getattr(mailbox, f"{prefix}_port") or service.port
    return Service(host=service.host, port=port, security=service.security)


def mailbox_imap_endpoint(*, mailbox: Mailbox) -> ImapEndpoint:
    server = _server(mailbox, "imap")
    return ImapEndpoint(host=server.host, port=server.port, security=server.security,
                        ca_file=settings.MSSANTE_TLS_CA_FILE or None, timeout=settings.MSSANTE_IMAP_TIMEOUT,
                        crl_file=crl_file_current())


def mailbox_smtp_endpoint(*, mailbox: Mailbox) -> SmtpEndpoint:
    server = _server(mailbox, "submission")
    return SmtpEndpoint(host=server.host, port=server.port, security=server.security,
                        ca_file=settings.MSSANTE_TLS_CA_FILE or None, crl_file=crl_file_current())


def mailbox_sieve_endpoint(*, mailbox: Mailbox) -> SieveEndpoint:
    host = settings.MSSANTE_SIEVE_HOST or mailbox.imap_host or settings.MSSANTE_IMAP_HOST
    if not host:
        host = _service(mailbox, "imap").host
    return SieveEndpoint(host=host, port=settings.MSSANTE_SIEVE_PORT,
                         ca_file=settings.MSSANTE_TLS_CA_FILE or None,
                         timeout=settings.MSSANTE_IMAP_TIMEOUT, crl_file=crl_file_current())
