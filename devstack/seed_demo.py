"""Link the devstack's demo identities to their mailboxes, load the devstack whitelist and
a synthetic directory, and deliver the demo mail.

Development only: it reads devstack/identities.json and talks to the local stack, so it
lives here rather than in an app that production installs. `make demo` runs it as
``python -m devstack.seed_demo --profile demo``; the tests call ``seed_demo`` directly.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seed_demo(*, profile: str, no_mail: bool = False, say: Callable[[str], None] = print) -> None:
    from django.conf import settings
    from django.db import transaction

    from apps.accounts.models import User
    from apps.core.text import search_key
    from apps.integration.models import IntegrationEndpoint
    from apps.mail.models import Mailbox
    from apps.patients.models import Habilitation, Patient
    from apps.structures.models import Membership, Structure
    from apps.trust.services import annuaire_import, whitelist_refresh
    from devstack import annuaire_synth, seed, stack
    from mss.ins import NIR_OID

    with transaction.atomic():
        for identity in stack.IDENTITIES["identities"]:
            user, created = User.objects.get_or_create(
                idnat=identity["idnat"], defaults={"username": identity["idnat"]})
            user.first_name = identity["given_name"]
            user.last_name = identity["family_name"]
            user.is_staff = bool(identity.get("structure_admin") or identity.get("administers_structure"))
            if created:
                user.set_unusable_password()  # PSC only: no password sign-in
            user.save()
            if identity.get("administers_structure"):  # what her first PSC sign-in will confirm
                site = identity["activities"][0]
                structure, _ = Structure.objects.update_or_create(
                    identifier_type="finess", identifier=site["finess"],
                    defaults={"name": site["name"], "postcode": site["postcode"], "city": site["city"]})
                Membership.objects.update_or_create(
                    user=user, structure=structure, profession_code=identity["profession_code"],
                    defaults={"is_admin": True, "exercise_mode": site["mode"]})
            Mailbox.objects.update_or_create(
                address=identity["mailbox"],
                defaults={"owner": user, "kind": Mailbox.Kind.PERSONAL,
                          "auth_mode": Mailbox.AuthMode.PSC_XOAUTH2,
                          "display_name": f"{identity['given_name']} {identity['family_name']}"})
        for patient in stack.IDENTITIES["patients"]:  # in their doctor's list, allowed to write
            for key in patient.get("patient_of", []):
                doctor = User.objects.get(idnat=next(i["idnat"] for i in stack.IDENTITIES["identities"]
                                                     if i["key"] == key))
                Patient.objects.update_or_create(
                    owner=doctor, matricule=patient["ins"],
                    defaults={"oid": NIR_OID, "qualified": True, "birth_name": patient["family_name"].upper(),
                              "given_names": patient["given_name"], "sex": "F",
                              "birth_date": patient["birth_date"],
                              "name_key": search_key(f"{patient['family_name']} {patient['given_name']}")})
                if not Habilitation.objects.filter(owner=doctor, matricule=patient["ins"]).exists():
                    Habilitation.objects.create(owner=doctor, matricule=patient["ins"])
        admin = User.objects.get(idnat=next(
            i["idnat"] for i in stack.IDENTITIES["identities"] if i.get("structure_admin")))
        cert_dir = stack.state_dir(profile) / "tls" / "clients"
        for app in stack.IDENTITIES["application_mailboxes"]:
            owner = User.objects.get(idnat=next(i["idnat"] for i in stack.IDENTITIES["identities"]
                                                if i["key"] == app["owner"])) if "owner" in app else admin
            structure = (Structure.objects.filter(identifier=app["structure_finess"]).first()
                         if "structure_finess" in app else None)
            box, _created = Mailbox.objects.update_or_create(
                address=app["address"],
                defaults={"owner": owner, "kind": Mailbox.Kind.APPLICATION, "structure": structure,
                          "auth_mode": Mailbox.AuthMode.CLIENT_CERTIFICATE,
                          "display_name": app["label"],
                          "client_cert_file": str(cert_dir / f"{app['address']}.pem"),
                          "client_key_file": str(cert_dir / f"{app['address']}.key")})
            if "business_software" in app:  # the EHPAD's DUI stand-in (devstack/dui_sim.py)
                host, _sep, port = stack.env_vars(profile)["MSSANTE_DEVSTACK_DUI"].partition(":")
                IntegrationEndpoint.objects.update_or_create(
                    mailbox=box, defaults={"software": app["business_software"], "host": host,
                                           "port": int(port), "tls": False,
                                           "receiving_application": "DUI", "receiving_facility": "EHPAD"})
    say(f"{User.objects.count()} users, {Mailbox.objects.count()} mailboxes")
    whitelist = whitelist_refresh()
    if whitelist is not None:
        say(f"whitelist: {len(whitelist.names)} domains")
    extraction = Path(settings.MSSANTE_ANNUAIRE_URL or
                      stack.state_dir(profile) / "annuaire" / "Extraction_Correspondance_MSSante.txt")
    identities = stack.DEVSTACK / "identities.json"
    if not extraction.exists() or (extraction.is_relative_to(stack.state_dir(profile))
                                   and extraction.stat().st_mtime < identities.stat().st_mtime):
        annuaire_synth.write(extraction, 5000)  # first run, or the demo people changed since
    report = annuaire_import(path=extraction)
    say(f"annuaire: {report.rows} mailboxes")
    if not no_mail:
        count = seed.seed(profile)
        say(f"{count} demo messages delivered (settings NIL: {settings.MSSANTE_NIL})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", choices=["demo", "test"])
    parser.add_argument("--no-mail", action="store_true", help="only users and mailboxes")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
    import django

    django.setup()
    seed_demo(profile=args.profile, no_mail=args.no_mail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
