"""At sign-in, the mailboxes the national directory lists under the person's idNat become
theirs (issue 15): two PER mailboxes, both linked; a mailbox another person owns is left
alone; ORG mailboxes are not personal; the profile says what was found."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.mail.models import Mailbox
from apps.trust.models import DirectoryEntry
from tests.conftest import IDENTITIES, PSCSim, django_signin

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_every_per_mailbox_of_the_idnat_is_linked_at_sign_in(client: Client, psc_sim: PSCSim,
                                                             demo_accounts: None, trust_data: None,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    gp = Mailbox.objects.get(address=IDENTITIES["gp"]["mailbox"])
    idnat = gp.owner.idnat
    someone = Mailbox.objects.get(address=IDENTITIES["nurse"]["mailbox"]).owner
    DirectoryEntry.objects.create(address="claire.martin@ch-lyon.mssante.fr", mailbox_type="PER", idnat=idnat)
    DirectoryEntry.objects.create(address="Secretariat.Tilleuls@medecin.mssante.test", mailbox_type="ORG",
                                  idnat=idnat)
    taken = Mailbox.objects.create(address="c.martin@hopital.mssante.test", owner=someone)
    DirectoryEntry.objects.create(address=taken.address, mailbox_type="PER", idnat=idnat)
    django_signin(client, "gp")
    second = Mailbox.objects.get(address="claire.martin@ch-lyon.mssante.fr")
    assert second.owner == gp.owner and second.kind == "PER" and second.auth_mode == "psc_xoauth2"
    assert not Mailbox.objects.filter(address__iexact="secretariat.tilleuls@medecin.mssante.test").exists()
    taken.refresh_from_db()
    assert taken.owner == someone  # not taken from its owner
    assert "another user owns it" in caplog.text
    page = client.get("/profil/").content.decode()
    assert "Trouvées dans l'annuaire national" in page.replace("&#x27;", "'")
    assert "claire.martin@ch-lyon.mssante.fr" in page
    from django.utils import formats, timezone
    day = formats.date_format(timezone.localdate(), "j F Y")  # the test extraction is today's file
    assert f"extraction du {day}" in page
    # Signing in again links nothing twice.
    client.post("/oidc/logout/")
    django_signin(client, "gp")
    assert Mailbox.objects.filter(address="claire.martin@ch-lyon.mssante.fr").count() == 1


def test_a_social_worker_with_an_rpps_plus_identifier_gets_their_mailbox(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    social = Mailbox.objects.get(address=IDENTITIES["social"]["mailbox"])
    user = social.owner
    social.delete()  # as on a first sign-in: no mailbox yet
    DirectoryEntry.objects.filter(address=IDENTITIES["social"]["mailbox"]).delete()
    DirectoryEntry.objects.create(address=IDENTITIES["social"]["mailbox"], mailbox_type="PER", idnat=user.idnat)
    django_signin(client, "social")
    assert Mailbox.objects.get(address=IDENTITIES["social"]["mailbox"]).owner == user
