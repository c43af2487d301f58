"""The audit trail's single entry point: ``audit_log`` writes one ``AuditEvent`` row (and
a structured log line), and never breaks or blocks the action it records: a failure to
write is logged and swallowed, inside its own savepoint."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.crypto import ins_pseudonymised
from apps.core.request_id import current_request_id

from .events import Event
from .models import AuditEvent

logger = logging.getLogger("mssante.audit")
FIELDS = ("mailbox", "target", "outcome", "client_ip", "delegation", "request_id")


def audit_log(*, event: str, actor: str = "", structure_id: int | None = None, **details: Any) -> None:
    """Record ``event`` by ``actor`` (an idNat, or a staff user name); ``mailbox``,
    ``target`` (Message-ID, folder, patient, document), ``outcome``, ``client_ip``,
    ``delegation`` (the rights used, when acting through one) and ``structure_id`` get their
    own columns, anything else goes in ``details``. The request id is the current request's.
    ``event`` must be one of the catalogue (``events.Event``): a ``ValueError`` otherwise, a
    programming error the tests catch, never an event stored under a free name."""
    if event not in Event.values:
        raise ValueError(f"audit event {event!r} is not in the catalogue (apps.audit.events.Event)")
    details.setdefault("request_id", current_request_id())
    # No INS in the trail nor the logs (data minimisation): whatever the caller passed, a
    # valid INS in a text value becomes its pseudonymous patient reference.
    details = {name: ins_pseudonymised(value) if isinstance(value, str) else value
               for name, value in details.items()}
    logger.info("audit %s", json.dumps({"event": event, "actor": actor, **details},
                                       ensure_ascii=False, default=str, sort_keys=True))
    columns = {name: str(details[name])[:500] for name in FIELDS if details.get(name) not in (None, "")}
    for name in FIELDS:
        details.pop(name, None)
    row = {"event": event[:40], "actor": (actor or "")[:64], "structure_id": structure_id,
           "details": json.loads(json.dumps(details, default=str)), **columns}
    try:
        if connection.in_atomic_block:  # a savepoint, so that a failure leaves the caller's work whole
            with transaction.atomic():
                AuditEvent.objects.create(**row)
        else:  # autocommit: one INSERT, nothing to protect
            AuditEvent.objects.create(**row)
    except Exception as exc:  # noqa: BLE001 - recording must never break what it records
        logger.error("audit event %s not stored: %s: %s", event, type(exc).__name__, exc)


def audit_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the events older than ``MSSANTE_AUDIT_RETENTION_DAYS``, and nothing else.
    On PostgreSQL through ``audit_purge_before``, the only deletion the database allows: it
    runs as the migration role, which the site's own role cannot become, and refuses a
    cutoff inside the 30-day floor (``guards``). On SQLite the model layer is the guard."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.MSSANTE_AUDIT_RETENTION_DAYS)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT audit_purge_before(%s)", [cutoff])
            deleted = cursor.fetchone()[0]
        else:
            cursor.execute("DELETE FROM audit_auditevent WHERE at < %s", [cutoff])
            deleted = cursor.rowcount
    logger.info("audit purge: %s events older than %s deleted", deleted, cutoff.isoformat())
    return int(deleted)
