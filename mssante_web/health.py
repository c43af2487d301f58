"""Liveness and readiness probes for the container platform: JSON, no secrets.

They live in the project package, above every app, because readiness looks at every
engine the site needs (database, Redis, the operator's IMAP server) and reports the trust
space's whitelist (size and age: an empty or stale list does not make the site unready,
reading mail still works, but the operator must see it). The answer is kept a few seconds
(``MSSANTE_READYZ_CACHE_SECONDS``): a probe storm must not become a storm of TLS handshakes
at the operator's IMAP server."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from apps.trust.selectors import whitelist_status
from mailproto.imap import ImapEndpoint, imap_greeting_check

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _check_imap() -> None:
    """A TLS handshake (the kept CRLs included) and the server greeting: reachability without
    credentials. With no site-wide server (each mailbox's found by DNS SRV) there is none to
    probe here."""
    from apps.mail.revocation import crl_file_current

    if not settings.MSSANTE_IMAP_HOST:
        return
    imap_greeting_check(ImapEndpoint(
        host=settings.MSSANTE_IMAP_HOST, port=settings.MSSANTE_IMAP_PORT,
        security=settings.MSSANTE_IMAP_SECURITY, ca_file=settings.MSSANTE_TLS_CA_FILE or None,
        timeout=3, crl_file=crl_file_current()))


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "redis": _check_redis,
    "imap": _check_imap,
}


_cache_lock = threading.Lock()
_cached: tuple[float, int, dict[str, object]] | None = None


def _whitelist() -> dict[str, object]:
    try:
        status = whitelist_status()
    except Exception as exc:  # noqa: BLE001 - the database check says why
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": not status.empty and not status.stale, "domains": status.domains,
            "age_hours": status.age_hours, "stale": status.stale}


def _directory_empty() -> bool:
    from apps.trust.models import DirectoryEntry

    try:
        return not DirectoryEntry.objects.exists()
    except Exception:  # noqa: BLE001 - the database check says why
        return False


def _readiness() -> tuple[int, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            logger.warning("readiness check %s failed: %s", name, exc.__class__.__name__)
            results[name] = {"ok": False, "error": exc.__class__.__name__}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    ready = all(r["ok"] for r in results.values())
    whitelist = _whitelist()
    body: dict[str, object] = {"status": "ready" if ready else "unavailable", "checks": results,
                               "whitelist": whitelist}
    warnings = []
    if not whitelist["ok"]:
        warnings.append("whitelist-empty" if whitelist.get("domains") == 0 else "whitelist-stale")
    if settings.MSSANTE_ANNUAIRE_URL and _directory_empty():
        warnings.append("directory-empty")  # its first import is running (or failing: see the worker)
    if warnings:
        body["warnings"] = warnings
    return (200 if ready else 503), body


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    global _cached
    with _cache_lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] >= settings.MSSANTE_READYZ_CACHE_SECONDS:
            status, body = _readiness()
            _cached = (now, status, body)
        _, status, body = _cached
    return JsonResponse(dict(body, cached_for=settings.MSSANTE_READYZ_CACHE_SECONDS), status=status)
