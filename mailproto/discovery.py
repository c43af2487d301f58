"""Finding a mailbox's servers from its domain (ECO.1.1.9; RFC 6186, with RFC 8314's
implicit-TLS submission): the SRV records ``_imaps._tcp``, ``_imap._tcp``,
``_submissions._tcp`` and ``_submission._tcp`` of the domain, through dnspython.

Implicit TLS is preferred over STARTTLS when both are published (RFC 8314 §5.1); within one
service, the lowest priority then the highest weight wins; a target of "." says the service
is not offered. Clear-text IMAP or SMTP is never an option: both are then used over TLS,
the STARTTLS ones after an upgrade the client insists on. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

_SERVICES = (("imap", (("_imaps._tcp", "ssl"), ("_imap._tcp", "starttls"))),
             ("submission", (("_submissions._tcp", "ssl"), ("_submission._tcp", "starttls"))))
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


class DiscoveryFailed(Exception):
    """No usable record, a DNS failure, or a domain that cannot be one."""


@dataclass(frozen=True, slots=True)
class Service:
    host: str
    port: int
    security: str  # "ssl" (implicit TLS) or "starttls"


@dataclass(frozen=True, slots=True)
class Discovered:
    imap: Service | None
    submission: Service | None
    ttl: int  # seconds the answer may be kept


def _resolver(nameserver: str | None, port: int, timeout: float) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver:
        resolver.nameservers = [nameserver]
        resolver.port = port
    resolver.lifetime = timeout
    return resolver


def _best(resolver: dns.resolver.Resolver, name: str, security: str) -> tuple[Service | None, int]:
    try:
        answer = resolver.resolve(name, dns.rdatatype.SRV)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None, 3600
    records = sorted(answer, key=lambda r: (r.priority, -r.weight))
    ttl = answer.rrset.ttl if answer.rrset is not None else 300
    for record in records:
        target = record.target.to_text(omit_final_dot=True)
        if target and target != "." and record.port:
            return Service(host=target.lower(), port=int(record.port), security=security), ttl
    return None, ttl


def services_discover(*, domain: str, nameserver: str | None = None, port: int = 53,
                      timeout: float = 3.0) -> Discovered:
    """The IMAP and submission services ``domain`` publishes; ``DiscoveryFailed`` when
    neither is found or the DNS does not answer."""
    domain = domain.strip().lower().rstrip(".")
    if not domain or len(domain) > 253 or not set(domain) <= _LABEL_CHARS or ".." in domain:
        raise DiscoveryFailed(f"not a domain name: {domain[:80]!r}")
    resolver = _resolver(nameserver, port, timeout)
    found: dict[str, Service | None] = {}
    ttls = []
    try:
        for kind, candidates in _SERVICES:
            found[kind] = None
            for prefix, security in candidates:
                service, ttl = _best(resolver, f"{prefix}.{domain}.", security)
                ttls.append(ttl)
                if service is not None:
                    found[kind] = service
                    break
    except dns.exception.DNSException as exc:
        raise DiscoveryFailed(f"{domain}: {exc.__class__.__name__}: {exc}") from exc
    if found["imap"] is None and found["submission"] is None:
        raise DiscoveryFailed(f"{domain}: no IMAP nor submission SRV record")
    return Discovered(imap=found["imap"], submission=found["submission"], ttl=max(60, min(ttls)))
