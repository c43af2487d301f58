"""The database refuses to change audit events: UPDATE always, and on PostgreSQL DELETE
too unless the retention purge has set ``mssweb.audit_purge`` for its transaction."""

from __future__ import annotations

from django.db import migrations

from apps.audit.guards import DROP, POSTGRES, SQLITE
from apps.core.migration_sql import vendor_sql


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_event")]

    operations = [migrations.RunPython(vendor_sql({"sqlite": SQLITE, "postgresql": POSTGRES}), vendor_sql(DROP))]
