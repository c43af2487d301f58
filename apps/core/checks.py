"""Fail closed: with DEBUG off, the site refuses to start on a configuration that only a
development stack should have.

Django runs these checks at ``migrate`` and ``check``; ``mssante_web.startup`` runs them
again when gunicorn loads the site and when a Celery worker or beat starts, so that no
process serves or sends with them. A development stack that runs with DEBUG off (the test
suite, the operator walk-through against the devstack) names the checks it knowingly
breaks in ``DJANGO_SILENCED_SYSTEM_CHECKS``, one id each.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

# Values of MSSANTE_NIL that only ever named a development build.
DEVELOPMENT_NILS = frozenset({"mssante-web-dev", "mssante-web-devstack", "dev", "test"})


def _loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _psc_checks() -> Iterable[CheckMessage]:
    issuer = settings.PSC_ISSUER
    if not issuer:
        yield Error("MSSANTE_PSC_ISSUER is not set.",
                    hint="Pro Santé Connect's issuer, e.g. https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet.",
                    id="mssante.E001")
    urls = {"MSSANTE_PSC_ISSUER": issuer}
    urls.update({f"MSSANTE_{name}": getattr(settings, name) for name in (
        "PSC_DISCOVERY_URL", "PSC_AUTHORIZATION_ENDPOINT", "PSC_TOKEN_ENDPOINT", "PSC_USERINFO_ENDPOINT",
        "PSC_JWKS_ENDPOINT", "PSC_END_SESSION_ENDPOINT")})
    for name, url in urls.items():
        if not url:
            continue
        parts = urlsplit(url)
        if _loopback(parts.hostname or ""):
            yield Error(f"{name} points at this machine ({url}): a development simulator, not "
                        "Pro Santé Connect.", id="mssante.E002")
        elif parts.scheme != "https":
            yield Error(f"{name} is not https ({url}): tokens would travel in clear.",
                        id="mssante.E002")


def _mail_checks() -> Iterable[CheckMessage]:
    for name in ("MSSANTE_IMAP_HOST", "MSSANTE_SMTP_HOST"):
        host = getattr(settings, name)
        if _loopback(host):
            yield Error(f"{name} is {host or 'unset'}: the operator's server, not this machine, "
                        "must be named.", id="mssante.E003")
    if settings.MSSANTE_DEVSTACK_PASSWORD:
        yield Error("MSSANTE_DEVSTACK_PASSWORD is set: password logins are for the development "
                    "stack only.", id="mssante.E003")


def _nil_checks() -> Iterable[CheckMessage]:
    nil = settings.MSSANTE_NIL.strip()
    if not nil:
        yield Error("MSSANTE_NIL is not set: every message must carry the product reference "
                    "given when the client was declared (X-MSS-NIL).", id="mssante.E004")
    elif nil.lower() in DEVELOPMENT_NILS:
        yield Error(f"MSSANTE_NIL is {nil!r}, a development reference.",
                    hint="Use the reference given by the ANS at declaration.", id="mssante.E004")


def _source_checks() -> Iterable[CheckMessage]:
    whitelist = settings.MSSANTE_WHITELIST_URL
    checksum = settings.MSSANTE_WHITELIST_SHA256_URL
    if whitelist.startswith("http://") and not checksum:
        yield Error("MSSANTE_WHITELIST_URL is plain http without MSSANTE_WHITELIST_SHA256_URL: "
                    "anyone on the path could change the trust space.", id="mssante.E005")
    if checksum.startswith("http://"):
        yield Error("MSSANTE_WHITELIST_SHA256_URL is plain http.", id="mssante.E005")
    if settings.MSSANTE_ANNUAIRE_URL.startswith("http://"):
        yield Error("MSSANTE_ANNUAIRE_URL is plain http: the directory must come over https "
                    "or from a local file.", id="mssante.E005")
    if settings.MSSANTE_EXTRA_TRUSTED_DOMAINS:
        yield Warning("MSSANTE_EXTRA_TRUSTED_DOMAINS adds domains to the trust space on top of "
                      "the national list: meant for test stacks.", id="mssante.W005")


def _ca_checks() -> Iterable[CheckMessage]:
    ca = settings.MSSANTE_TLS_CA_FILE
    if not ca:
        yield Error("MSSANTE_TLS_CA_FILE is not set: operators' certificates come from IGC-Santé, "
                    "which the system store does not carry.", id="mssante.E006")
    elif not os.path.isfile(ca) or not os.access(ca, os.R_OK):
        yield Error(f"MSSANTE_TLS_CA_FILE ({ca}) is missing or unreadable.", id="mssante.E006")
    else:
        yield from _igc_sante_only(Path(ca))
    psc_ca = settings.OIDC_VERIFY_SSL
    if isinstance(psc_ca, str) and not os.path.isfile(psc_ca):
        yield Error(f"MSSANTE_PSC_CA_FILE ({psc_ca}) is missing.", id="mssante.E006")


def _igc_sante_only(bundle: Path) -> Iterable[CheckMessage]:
    """ECO.1.1.10: IGC-Santé is the only CA an MSSanté client accepts for operators. Every
    certificate of the bundle must be one of its CAs (they all name IGC-SANTE in their
    subject: ``OU=IGC-SANTE``, ``CN=AC … IGC-SANTE …``). An operator who must trust another
    CA (a test platform) says so explicitly by silencing this check's id."""
    from mailproto.certificates import CertificateUnreadable, bundle_subjects

    try:
        subjects = bundle_subjects(bundle.read_bytes())
    except (CertificateUnreadable, OSError) as exc:
        yield Error(f"MSSANTE_TLS_CA_FILE ({bundle}) cannot be read as PEM certificates: {exc}",
                    id="mssante.E010")
        return
    foreign = [subject for subject in subjects if "IGC-SANTE" not in subject.upper()]
    if not subjects or foreign:
        yield Error(f"MSSANTE_TLS_CA_FILE ({bundle}) holds certificates that are not IGC-Santé's: "
                    f"{'; '.join(foreign) or 'none at all'}.",
                    hint="Only IGC-Santé's CAs may be trusted for operators (ECO.1.1.10); a test "
                         "platform silences mssante.E010 explicitly.", id="mssante.E010")


def _redis_checks() -> Iterable[CheckMessage]:
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        parts = urlsplit(getattr(settings, name))
        if parts.scheme in ("redis", "rediss") and not parts.password and not _loopback(parts.hostname or ""):
            yield Error(f"{name} has no password: the cache and the task queue carry session keys.",
                        hint="Set REDIS_PASSWORD (or put it in the URL).", id="mssante.E007")


def _audit_checks() -> Iterable[CheckMessage]:
    if settings.MSSANTE_AUDIT_RETENTION_DAYS < 30:  # the database refuses to delete younger events
        yield Error(f"MSSANTE_AUDIT_RETENTION_DAYS is {settings.MSSANTE_AUDIT_RETENTION_DAYS}: the audit "
                    "trail is kept 30 days at least (the database refuses to delete younger events).",
                    id="mssante.E009")


def _static_checks() -> Iterable[CheckMessage]:
    """With hashed static files (DEBUG off), a site started without ``collectstatic`` answered
    every page with a 500 ("Missing staticfiles manifest entry"): say it at start-up."""
    backend = settings.STORAGES.get("staticfiles", {}).get("BACKEND", "")
    if "Manifest" not in backend:
        return
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.is_file():
        yield Error(f"The static files manifest ({manifest}) is missing: every page would fail.",
                    hint="Run `manage.py collectstatic --noinput` (the image does it at build), or set "
                         "MSSANTE_PLAIN_STATIC=1 to serve unhashed files.", id="mssante.E008")


def fail_closed_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every setting that is only right on a development stack, refused with DEBUG off."""
    if settings.DEBUG:
        return []
    found: list[CheckMessage] = []
    for check in (_psc_checks, _mail_checks, _nil_checks, _source_checks, _ca_checks, _redis_checks,
                  _static_checks, _audit_checks):
        found.extend(check())
    return found
