"""``manage.py audit_purge``: delete the audit events past the retention period
(``MSSANTE_AUDIT_RETENTION_DAYS``), nothing else."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.audit.services import audit_purge


class Command(BaseCommand):
    help = "Delete the audit events older than MSSANTE_AUDIT_RETENTION_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{audit_purge()} audit events deleted")
