"""Delegations with rights and dates replace the bare delegates list (carried over as
"read and send", which is what a delegate could do before); mailboxes get a structure."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_over_delegates(apps, schema_editor):
    mailbox = apps.get_model("mail", "Mailbox")
    delegation = apps.get_model("mail", "Delegation")
    through = mailbox.delegates.through
    delegation.objects.bulk_create([delegation(mailbox_id=row.mailbox_id, user_id=row.user_id, rights="send")
                                    for row in through.objects.all()], ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0012_bodies_indexed_through'),
        ('structures', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='mailbox',
            name='structure',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='mailboxes', to='structures.structure', verbose_name='structure'),
        ),
        migrations.CreateModel(
            name='Delegation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rights', models.CharField(choices=[('read', 'Read only'), ('send', 'Read and send')], default='read', max_length=4, verbose_name='rights')),
                ('starts_on', models.DateField(blank=True, null=True, verbose_name='first day')),
                ('ends_on', models.DateField(blank=True, null=True, verbose_name='last day')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='granted at')),
                ('granted_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='granted by')),
                ('mailbox', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='delegations', to='mail.mailbox', verbose_name='mailbox')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='delegations', to=settings.AUTH_USER_MODEL, verbose_name='delegate')),
            ],
            options={
                'verbose_name': 'delegation',
                'verbose_name_plural': 'delegations',
                'ordering': ['mailbox', 'user'],
                'constraints': [models.UniqueConstraint(fields=('mailbox', 'user'), name='delegation_unique')],
            },
        ),
        migrations.RunPython(carry_over_delegates, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='mailbox',
            name='delegates',
        ),
    ]
