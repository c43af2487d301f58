"""Delegations through the real stack (issue 15): the EHPAD's director signs in and finds
her structure's shared mailbox offered from the directory; an educator given read-only
access reads it with her own PSC token (the operator links her: devstack master-user
login) but cannot send, move or delete; given "read and send", she sends from it; revoked
or expired, the next request no longer reaches it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.mail.models import Delegation, Mailbox, OutboxMessage
from apps.mail.services.delegations import delegation_revoke, delegation_save
from apps.structures.models import Structure
from devstack import stack
from tests.conftest import IDENTITIES, PSCSim, django_signin, navigating_client
from tests.integration.mail_server import append, outbox_send_pending, reset_mailbox, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SHARED = next(m["address"] for m in stack.IDENTITIES["shared_mailboxes"] if "ehpad" in m["address"])


def _director_signs_in(client: Client) -> Mailbox:
    django_signin(client, "director")
    shared = Mailbox.objects.get(address=SHARED)
    assert shared.kind == Mailbox.Kind.ORGANISATIONAL and shared.owner is None
    assert shared.structure == Structure.objects.get(identifier_type="finess", identifier="690000031")
    return shared


def test_a_read_only_delegate_reads_the_shared_mailbox_and_cannot_change_it(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    reset_mailbox(SHARED)
    subject = f"Admission de M. Garnier {uuid.uuid4().hex[:6]}"
    append(SHARED, subject=subject)
    shared = _director_signs_in(navigating_client())
    director = User.objects.get(idnat=IDENTITIES["director"]["idnat"])
    educator = User.objects.get(idnat=IDENTITIES["educator"]["idnat"])
    delegation_save(delegation=Delegation(mailbox=shared, user=educator, rights=Delegation.Rights.READ), by=director)

    django_signin(client, "educator")
    folder_pane = client.get("/", follow=True).content.decode()
    assert SHARED in folder_pane  # listed with her own mailbox
    inbox = client.get(f"/bal/{shared.pk}/", follow=True)
    assert inbox.status_code == 200 and subject in inbox.content.decode()  # synced through IMAP as her
    page = inbox.content.decode()
    assert "Lecture seule" in page and 'value="delete"' not in page
    folder = shared.folders.get(role="inbox")
    uid = folder.messages.get(subject=subject).uid
    message = client.get(f"/bal/{shared.pk}/dossier/{folder.pk}/message/{uid}/")
    assert message.status_code == 200 and 'data-key="r"' not in message.content.decode()
    event = AuditEvent.objects.filter(event="message_read", mailbox=SHARED).latest("id")
    assert (event.actor, event.delegation, event.structure_id) == (educator.idnat, "read", shared.structure_id)

    refused = client.post(f"/bal/{shared.pk}/dossier/{folder.pk}/actions/", {"uid": [uid], "action": "delete"})
    assert refused.status_code == 403 and "lecture seule" in refused.content.decode()
    assert wait_for_subject(SHARED, "INBOX", subject, timeout=1)  # still there
    marked = client.post(f"/bal/{shared.pk}/dossier/{folder.pk}/actions/", {"uid": [uid], "action": "flag"})
    assert marked.status_code == 302  # marks are the team's shared state
    compose = client.get("/ecrire/").content.decode()
    assert f'value="{shared.pk}"' not in compose  # not offered as a sender
    sent = client.post("/ecrire/", {"mailbox": shared.pk, "to": [IDENTITIES["nurse"]["mailbox"]],
                                    "subject": "Depuis le secrétariat", "body": "x"})
    assert not OutboxMessage.objects.filter(mailbox=shared).exists(), sent.status_code


def test_read_and_send_then_revoked_then_expired(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                 trust_data: None) -> None:
    shared = _director_signs_in(navigating_client())
    director = User.objects.get(idnat=IDENTITIES["director"]["idnat"])
    educator = User.objects.get(idnat=IDENTITIES["educator"]["idnat"])
    delegation = delegation_save(delegation=Delegation(mailbox=shared, user=educator, rights=Delegation.Rights.SEND,
                                                       ends_on=dt.date.today() + dt.timedelta(days=7)), by=director)
    django_signin(client, "educator")
    subject = f"Retour d'hospitalisation {uuid.uuid4().hex[:6]}"
    response = client.post("/ecrire/", {"mailbox": shared.pk, "to": [IDENTITIES["nurse"]["mailbox"]],
                                        "subject": subject, "body": "Bonjour,\nM. Garnier rentre demain.\n"})
    assert response.status_code == 302, response.content.decode()[:2000]
    outbox_send_pending()
    outgoing = OutboxMessage.objects.get(subject=subject)
    assert outgoing.status == "sent", outgoing.last_error
    assert wait_for_subject(IDENTITIES["nurse"]["mailbox"], "INBOX", subject)
    assert wait_for_subject(SHARED, "Sent", subject)
    sent_event = AuditEvent.objects.filter(event="message_sent", target=outgoing.message_id).get()
    assert (sent_event.actor, sent_event.delegation) == (educator.idnat, "send")

    # Revoked: the very next request no longer reaches the mailbox, no sign-out needed.
    delegation_revoke(delegation=delegation, by=director)
    assert client.get(f"/bal/{shared.pk}/").status_code == 404
    assert SHARED not in client.get("/", follow=True).content.decode()
    revoked = AuditEvent.objects.filter(event="delegation_changed", outcome="revoked").latest("id")
    assert (revoked.actor, revoked.target, revoked.mailbox) == (director.idnat, educator.idnat, SHARED)

    # Given again but over since yesterday: expired, the same.
    delegation_save(delegation=Delegation(mailbox=shared, user=educator, rights=Delegation.Rights.SEND,
                                          starts_on=dt.date.today() - dt.timedelta(days=10),
                                          ends_on=dt.date.today() - dt.timedelta(days=1)), by=director)
    assert client.get(f"/bal/{shared.pk}/").status_code == 404
    # Starting tomorrow: not yet either.
    Delegation.objects.filter(mailbox=shared, user=educator).update(
        starts_on=dt.date.today() + dt.timedelta(days=1), ends_on=None)
    assert client.get(f"/bal/{shared.pk}/").status_code == 404


def test_the_operator_refuses_a_professional_it_does_not_link(client: Client, psc_sim: PSCSim,
                                                             demo_accounts: None, trust_data: None) -> None:
    """The site's delegation is not enough: the operator decides who its mailboxes open to
    (the pharmacist is not linked to the EHPAD's secretariat), and the page says so."""
    shared = _director_signs_in(navigating_client())
    pharmacist = User.objects.get(idnat=IDENTITIES["pharmacist"]["idnat"])
    director = User.objects.get(idnat=IDENTITIES["director"]["idnat"])
    delegation_save(delegation=Delegation(mailbox=shared, user=pharmacist, rights=Delegation.Rights.READ),
                    by=director)
    django_signin(client, "pharmacist")
    page = client.get(f"/bal/{shared.pk}/", follow=True)
    assert page.status_code == 503
    assert "refusé" in page.content.decode()
