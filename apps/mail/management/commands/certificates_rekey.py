"""``manage.py certificates_rekey``: after putting a new key first in MSSANTE_CERT_KEYS,
re-encrypt every application mailbox's certificate under it; then the old key may go.
Exit status 1 when a certificate no key opens remains (named)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import audit_log
from apps.mail.certificate_store import certificates_rekey


class Command(BaseCommand):
    help = "Re-encrypt the client certificates under the newest MSSANTE_CERT_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        done, unreadable = certificates_rekey()
        audit_log(event="certificate_changed", actor="manage.py", outcome="rekeyed", count=done)
        self.stdout.write(f"{done} certificate(s) re-encrypted under the newest key")
        if unreadable:
            raise CommandError(f"no key opens the certificate of: {', '.join(unreadable)}")
