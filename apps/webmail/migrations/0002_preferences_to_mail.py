"""Signatures and image senders now belong to the mail app (its migration 0019 takes them
over, tables unchanged): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("webmail", "0001_signatures_image_senders"), ("mail", "0019_signature_imagesender")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.DeleteModel(name="ImageSender"),
            migrations.DeleteModel(name="Signature"),
        ]),
    ]
