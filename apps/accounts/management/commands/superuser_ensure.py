"""The first superuser, from the environment, made once: a container's first start needs
no interactive ``createsuperuser``. Nothing happens when the variables are unset or the
user exists (its password is never changed here)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User


class Command(BaseCommand):
    help = "Create the superuser named by DJANGO_SUPERUSER_USERNAME/PASSWORD if it does not exist."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not username:
            self.stdout.write("DJANGO_SUPERUSER_USERNAME unset: no superuser made")
            return
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"superuser {username} already exists")
            return
        if len(password) < 12:
            raise CommandError("DJANGO_SUPERUSER_PASSWORD must be set, 12 characters at least")
        User.objects.create_superuser(username=username, password=password,
                                      email=os.environ.get("DJANGO_SUPERUSER_EMAIL", ""))
        self.stdout.write(f"superuser {username} created")
