"""The database refuses to change audit events: UPDATE always, and on PostgreSQL DELETE
too unless the retention purge has set ``mssweb.audit_purge`` for its transaction."""

from __future__ import annotations

from django.db import migrations

from apps.core.migration_sql import vendor_sql

SQLITE = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
]
POSTGRES = [
    """CREATE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND current_setting('mssweb.audit_purge', true) = 'on' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP;
       END $$""",
    "CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON audit_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_guard()",
]
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent",
                   "DROP FUNCTION IF EXISTS audit_event_guard()"],
}


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_event")]

    operations = [migrations.RunPython(vendor_sql({"sqlite": SQLITE, "postgresql": POSTGRES}), vendor_sql(DROP))]
