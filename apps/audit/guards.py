"""The database-level guards of the audit table (see ``models``), shared by the migration
that creates them and by any later one that has to put them back (SQLite drops a table's
triggers when Django rebuilds the table to add a column)."""

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
# The purge's flag is a transaction setting any session may set: on its own it let any
# session delete recent events (issue 27). A row younger than the floor can never be deleted,
# flag or not; the retention setting may not go below it (a system check).
RETENTION_FLOOR_DAYS = 30
POSTGRES_FLOOR = [
    f"""CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND current_setting('mssweb.audit_purge', true) = 'on'
            AND OLD.at < now() - interval '{RETENTION_FLOOR_DAYS} days' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP;
       END $$""",
]
POSTGRES_NO_FLOOR = [POSTGRES[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")]
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent",
                   "DROP FUNCTION IF EXISTS audit_event_guard()"],
}
