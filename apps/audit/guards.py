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
# Issue 27, point 10: the purge's transaction flag is a setting any session may switch on
# from SQL, and TRUNCATE fired no row trigger. Now the only way to delete is the purge
# function below: SECURITY DEFINER, so it runs as its owner (the role that ran the
# migrations), and the guard lets a DELETE through only when the current role is that owner
# and the row is past the floor. A site whose database role is not the migration role (the
# documented deployment, docs/operations.md) cannot delete an event any other way; a site
# run as the tables' owner could drop the triggers anyway, so nothing is lost there.
PURGE_FUNCTION = "audit_purge_before(timestamptz)"
# The f-strings below interpolate this module's constants only.
POSTGRES_PURGE_ROLE = [
    f"""CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{RETENTION_FLOOR_DAYS} days'
            AND current_user = (SELECT pg_get_userbyid(proowner) FROM pg_proc
                                WHERE oid = '{PURGE_FUNCTION}'::regprocedure) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP;
       END $$""",  # noqa: S608
    f"""CREATE FUNCTION audit_purge_before(cutoff timestamptz) RETURNS bigint
       LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
       DECLARE deleted bigint;
       BEGIN
         IF cutoff > now() - interval '{RETENTION_FLOOR_DAYS} days' THEN
           RAISE EXCEPTION USING MESSAGE = 'audit purge refused: the cutoff is inside the '
                                           || '{RETENTION_FLOOR_DAYS}-day floor';
         END IF;
         DELETE FROM audit_auditevent WHERE at < cutoff;
         GET DIAGNOSTICS deleted = ROW_COUNT;
         RETURN deleted;
       END $$""",  # noqa: S608
    f"REVOKE ALL ON FUNCTION {PURGE_FUNCTION} FROM PUBLIC",
    """CREATE FUNCTION audit_event_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: TRUNCATE';
       END $$""",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate()",
]
POSTGRES_PURGE_ROLE_UNDO = [
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_no_truncate()",
    *POSTGRES_FLOOR,
    f"DROP FUNCTION IF EXISTS {PURGE_FUNCTION}",
]
