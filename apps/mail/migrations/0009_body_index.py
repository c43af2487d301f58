"""The body full-text index (``apps.mail.bodyindex``): an FTS5 table on SQLite, a tsvector
table with a French, accent-insensitive configuration on PostgreSQL."""

from __future__ import annotations

from django.db import migrations

from apps.core.migration_sql import vendor_sql

SQLITE = [
    "CREATE VIRTUAL TABLE mail_bodyindex USING fts5(scope, body, tokenize = 'unicode61 remove_diacritics 2')",
    # A summary deleted (expunged, folder emptied or reset) takes its indexed text along.
    "CREATE TRIGGER mail_bodyindex_gone AFTER DELETE ON mail_messagesummary "
    "BEGIN DELETE FROM mail_bodyindex WHERE rowid = old.id; END",
]
POSTGRES = [
    # unaccent needs a privilege the site's role may not have: without it, French stemming
    # only (a search for "ecole" then misses "école"; the operator can add it later).
    """DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS unaccent;
       EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'unaccent not available'; END $$""",
    "CREATE TEXT SEARCH CONFIGURATION mssante_fr (COPY = french)",
    """DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
           ALTER TEXT SEARCH CONFIGURATION mssante_fr
             ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
         END IF; END $$""",
    # No foreign key (Django's flush truncates the summaries, which a key would forbid): a
    # trigger takes a deleted summary's text along, as on SQLite.
    "CREATE TABLE mail_bodyindex (summary_id bigint PRIMARY KEY, mailbox_id integer NOT NULL, "
    "document tsvector NOT NULL)",
    "CREATE INDEX mail_bodyindex_document ON mail_bodyindex USING gin (document)",
    # One statement per DELETE (a 100k folder reset is one join, not 100k lookups).
    """CREATE FUNCTION mail_bodyindex_gone() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN DELETE FROM mail_bodyindex b USING gone WHERE b.summary_id = gone.id; RETURN NULL; END $$""",
    "CREATE TRIGGER mail_bodyindex_gone AFTER DELETE ON mail_messagesummary "
    "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mail_bodyindex_gone()",
]
DROP_SQLITE = ["DROP TRIGGER IF EXISTS mail_bodyindex_gone", "DROP TABLE IF EXISTS mail_bodyindex"]
DROP_POSTGRES = ["DROP TRIGGER IF EXISTS mail_bodyindex_gone ON mail_messagesummary",
                 "DROP FUNCTION IF EXISTS mail_bodyindex_gone()", "DROP TABLE IF EXISTS mail_bodyindex",
                 "DROP TEXT SEARCH CONFIGURATION IF EXISTS mssante_fr"]


class Migration(migrations.Migration):
    dependencies = [("mail", "0008_quota_and_vacation")]

    operations = [
        migrations.RunPython(vendor_sql({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             vendor_sql({"sqlite": DROP_SQLITE, "postgresql": DROP_POSTGRES})),
    ]
