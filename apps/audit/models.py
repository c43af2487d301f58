"""The audit trail: one row per security-relevant event, append-only.

No foreign key: an event outlives the user, mailbox or message it names. Rows are never
changed or deleted through the ORM (``save`` of an existing row and ``delete`` raise); on
PostgreSQL triggers refuse UPDATE and TRUNCATE, and DELETE except from the retention purge's
function (``guards``: it runs as the migration role, never inside 30 days), even in raw SQL;
on SQLite a trigger refuses UPDATE."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .events import Event


class AppendOnly(Exception):
    """An attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnly("audit events are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit events are deleted by the retention purge only")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    event = models.CharField(_("event"), max_length=40, db_index=True, choices=Event.choices)
    actor = models.CharField(_("actor (idNat)"), max_length=64, blank=True, db_index=True)
    mailbox = models.CharField(_("mailbox"), max_length=254, blank=True)
    target = models.CharField(_("target"), max_length=500, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    # The structure an event concerns (its mailbox's, or the one administered): what a
    # structure administrator's view of the trail is limited to. An id, not a foreign key.
    structure_id = models.PositiveIntegerField(_("structure"), null=True, blank=True, db_index=True)
    # Defaults in the database too: rows written by hand (an operator's SQL) need no new column.
    delegation = models.CharField(_("delegation used"), max_length=8, blank=True, default="",
                                  db_default="")  # "read" / "send"
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="", db_default="")
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("audit events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("audit events are deleted by the retention purge only")
