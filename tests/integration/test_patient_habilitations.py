"""Which patients may write (issue 14), through the real stack: a patient's message with no
habilitation is kept and moved, on the server too, to "Patients – à valider"; "Autoriser
ce patient" brings it back and lets the next one straight in; revocation and expiry take
effect for the next message; each change is an audit event."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client

from apps.audit.models import AuditEvent
from apps.mail import services
from apps.mail.models import Folder, MessageSummary
from apps.patients.models import Habilitation
from apps.patients.services import habilitation_grant, habilitation_revoke
from apps.webmail.services.patient_rule import PENDING
from devstack import stack
from tests.conftest import PSCSim, django_signin, imap_plain
from tests.integration.mail_server import (
    SYNCHRO,
    append,
    fresh_patient_list,
    reset_mailbox,
    synchro_inbox,
    uids_with_subject,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
PATIENT = stack.IDENTITIES["patients"][0]
SENDER = f"{PATIENT['given_name']} {PATIENT['family_name']} <{PATIENT['ins']}@{stack.IDENTITIES['patient_domain']}>"


def arrive(box: object, subject: str) -> None:
    append(SYNCHRO, subject=subject, sender=SENDER)
    services.mailbox_sync(access=services.MailAccess(mailbox=box))  # type: ignore[arg-type]


def where(subject: str) -> str:
    found = MessageSummary.objects.filter(folder__mailbox__address=SYNCHRO, subject=subject).select_related("folder")
    return found.get().folder.name


def test_the_whole_habilitation_loop(client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    fresh_patient_list("899700123450")
    reset_mailbox(SYNCHRO)
    client_imap = imap_plain(SYNCHRO)
    if PENDING in [name for _f, _d, name in client_imap.list_folders()]:
        client_imap.delete_folder(PENDING)
    client_imap.logout()
    box, _inbox = synchro_inbox()
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    tag = uuid.uuid4().hex[:6]

    arrive(box, f"Question sur mon traitement {tag}")
    assert where(f"Question sur mon traitement {tag}") == PENDING
    assert uids_with_subject(SYNCHRO, PENDING, f"Question sur mon traitement {tag}")  # on the server too
    assert not uids_with_subject(SYNCHRO, "INBOX", f"Question sur mon traitement {tag}")

    django_signin(client, "gp")
    pending = Folder.objects.get(mailbox=box, name=PENDING)
    waiting = MessageSummary.objects.get(folder=pending, subject=f"Question sur mon traitement {tag}")
    page = client.get(f"/bal/{box.pk}/dossier/{pending.pk}/message/{waiting.uid}/").content.decode()
    assert "Patient non autorisé" in page and "Autoriser ce patient" in page
    client.post(f"/bal/{box.pk}/dossier/{pending.pk}/message/{waiting.uid}/patient/", {"action": "allow"})
    assert Habilitation.objects.filter(owner=box.owner, matricule=PATIENT["ins"]).count() == 1
    assert uids_with_subject(SYNCHRO, "INBOX", f"Question sur mon traitement {tag}")
    granted = AuditEvent.objects.filter(event="habilitation_changed", outcome="granted").latest("id")
    assert (granted.actor, granted.target) == (box.owner.idnat, PATIENT["ins"])

    arrive(box, f"Merci docteur {tag}")
    assert where(f"Merci docteur {tag}") == "INBOX"  # allowed: straight in

    habilitation_revoke(matricule=PATIENT["ins"], owner=box.owner, by=box.owner)
    arrive(box, f"Encore une question {tag}")
    assert where(f"Encore une question {tag}") == PENDING
    assert where(f"Merci docteur {tag}") == "INBOX"  # earlier messages stay where they are
    assert AuditEvent.objects.filter(event="habilitation_changed", outcome="revoked").exists()

    habilitation_grant(matricule=PATIENT["ins"], owner=box.owner, by=box.owner,
                       until=dt.date.today() - dt.timedelta(days=1))
    arrive(box, f"Passe la date {tag}")
    assert where(f"Passe la date {tag}") == PENDING  # expired

    refused = MessageSummary.objects.get(folder=pending, subject=f"Passe la date {tag}")
    answer = client.post(f"/bal/{box.pk}/dossier/{pending.pk}/message/{refused.uid}/patient/",
                         {"action": "refuse"})
    assert answer.status_code == 302, answer.content.decode()[:1500]
    assert uids_with_subject(SYNCHRO, "Trash", f"Passe la date {tag}")
