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
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent",
                   "DROP FUNCTION IF EXISTS audit_event_guard()"],
}
