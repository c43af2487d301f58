"""Audit events name their structure, the delegation used and the request."""

from django.db import migrations, models

from apps.audit.guards import SQLITE
from apps.core.migration_sql import vendor_sql

# SQLite rebuilds the table to add a NOT NULL column, and the rebuilt table has no trigger.
RESTORE = {"sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update", *SQLITE]}


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_guards'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='delegation',
            field=models.CharField(blank=True, db_default='', default='', max_length=8, verbose_name='delegation used'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='request_id',
            field=models.CharField(blank=True, db_default='', default='', max_length=64, verbose_name='request id'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='structure_id',
            field=models.PositiveIntegerField(blank=True, db_index=True, null=True, verbose_name='structure'),
        ),
        migrations.RunPython(vendor_sql(RESTORE), migrations.RunPython.noop),
    ]
