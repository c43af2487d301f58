"""On PostgreSQL, the retention purge deletes through a SECURITY DEFINER function owned by
the migration role, the only path the guard lets through, and a trigger refuses TRUNCATE
(issue 27, point 10): the transaction flag the purge set before was a setting any session
could switch on from SQL."""

from __future__ import annotations

from django.db import migrations

from apps.audit.guards import POSTGRES_PURGE_ROLE, POSTGRES_PURGE_ROLE_UNDO
from apps.core.migration_sql import vendor_sql


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_retention_floor")]

    operations = [migrations.RunPython(vendor_sql({"postgresql": POSTGRES_PURGE_ROLE}),
                                       vendor_sql({"postgresql": POSTGRES_PURGE_ROLE_UNDO}))]
