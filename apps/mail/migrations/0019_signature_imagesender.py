"""Signatures and image senders move from the webmail app to mail (issue 24: the use cases
that read and write them sit below the pages). State only: the tables keep their names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0018_inbox_rules_backoff"),
        ("webmail", "0001_signatures_image_senders"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="ImageSender",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("address", models.EmailField(max_length=254)),
                    ("created_at", models.DateTimeField(auto_now_add=True)),
                    ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                               related_name="image_senders", to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    "db_table": "webmail_imagesender",
                    "ordering": ["address"],
                    "constraints": [models.UniqueConstraint(fields=("user", "address"), name="image_sender_unique")],
                },
            ),
            migrations.CreateModel(
                name="Signature",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("text", models.TextField(blank=True, max_length=2000, verbose_name="signature")),
                    ("updated_at", models.DateTimeField(auto_now=True)),
                    ("mailbox", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                  related_name="signatures", to="mail.mailbox")),
                    ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                               related_name="signatures", to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    "db_table": "webmail_signature",
                    "constraints": [models.UniqueConstraint(fields=("user", "mailbox"), name="signature_unique")],
                },
            ),
        ]),
    ]
