"""On PostgreSQL, an audit event younger than the retention floor (30 days) can never be
deleted, whatever flag a session sets (issue 27): the purge's transaction flag alone let
any session delete recent events."""

from __future__ import annotations

from django.db import migrations

from apps.audit.guards import POSTGRES_FLOOR, POSTGRES_NO_FLOOR
from apps.core.migration_sql import vendor_sql


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_structure_delegation_request")]

    operations = [migrations.RunPython(vendor_sql({"postgresql": POSTGRES_FLOOR}),
                                       vendor_sql({"postgresql": POSTGRES_NO_FLOOR}))]
