"""Link the devstack's demo identities to their mailboxes and deliver demo mail.

Development only: it reads devstack/identities.json and talks to the local stack.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from apps.accounts.models import User
from apps.mail.models import Mailbox


class Command(BaseCommand):
    help = "Create the demo users and mailboxes and deliver the demo mail (devstack only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", default="demo", choices=["demo", "test"])
        parser.add_argument("--no-mail", action="store_true", help="only users and mailboxes")

    def handle(self, *args: Any, profile: str, no_mail: bool, **options: Any) -> None:
        from devstack import seed, stack

        with transaction.atomic():
            for identity in stack.IDENTITIES["identities"]:
                user, created = User.objects.get_or_create(
                    idnat=identity["idnat"], defaults={"username": identity["idnat"]})
                user.first_name = identity["given_name"]
                user.last_name = identity["family_name"]
                user.is_staff = bool(identity.get("structure_admin"))
                if created:
                    user.set_unusable_password()  # PSC only: no password sign-in
                user.save()
                Mailbox.objects.update_or_create(
                    address=identity["mailbox"],
                    defaults={"owner": user, "kind": Mailbox.Kind.PERSONAL,
                              "auth_mode": Mailbox.AuthMode.PSC_XOAUTH2,
                              "display_name": f"{identity['given_name']} {identity['family_name']}"})
            admin = User.objects.get(idnat=next(
                i["idnat"] for i in stack.IDENTITIES["identities"] if i.get("structure_admin")))
            cert_dir = stack.state_dir(profile) / "tls" / "clients"
            for app in stack.IDENTITIES["application_mailboxes"]:
                Mailbox.objects.update_or_create(
                    address=app["address"],
                    defaults={"owner": admin, "kind": Mailbox.Kind.APPLICATION,
                              "auth_mode": Mailbox.AuthMode.CLIENT_CERTIFICATE,
                              "display_name": app["label"],
                              "client_cert_file": str(cert_dir / f"{app['address']}.pem"),
                              "client_key_file": str(cert_dir / f"{app['address']}.key")})
        self.stdout.write(f"{User.objects.count()} users, {Mailbox.objects.count()} mailboxes")
        from pathlib import Path

        from apps.trust.services import annuaire_import, whitelist_refresh
        from devstack import annuaire_synth

        whitelist = whitelist_refresh()
        if whitelist is not None:
            self.stdout.write(f"whitelist: {len(whitelist.names)} domains")
        extraction = Path(settings.MSSANTE_ANNUAIRE_URL or
                          stack.state_dir(profile) / "annuaire" / "Extraction_Correspondance_MSSante.txt")
        if not extraction.exists():
            annuaire_synth.write(extraction, 5000)
        report = annuaire_import(path=extraction)
        self.stdout.write(f"annuaire: {report.rows} mailboxes")
        if not no_mail:
            count = seed.seed(profile)
            self.stdout.write(f"{count} demo messages delivered (settings NIL: {settings.MSSANTE_NIL})")
