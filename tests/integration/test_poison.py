"""A message whose summary cannot be parsed is listed as unreadable, with its source one
click away, and the sync goes on: it no longer failed the folder's sync at every run."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.mail import services
from apps.mail.models import Folder, MessageSummary
from mailproto.imap import summaries
from tests.conftest import PSCSim, django_signin
from tests.integration.mail_server import append, synchro_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "synchro@medecin.mssante.test"


def test_an_unparseable_message_is_listed_unreadable_and_the_sync_goes_on(
        client: Client, psc_sim: PSCSim, demo_accounts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    box = synchro_mailbox(0)
    append(ADDRESS, subject="Avant")
    append(ADDRESS, subject="Piege-poison")
    append(ADDRESS, subject="Après")
    parse = summaries.parse_summary_unit

    def poisoned(unit: list[bytes], patient_domain: str = "") -> Any:
        if len(unit) > 1 and b"Piege-poison" in unit[1]:
            raise RecursionError("engineered")
        return parse(unit, patient_domain)

    monkeypatch.setattr(summaries, "parse_summary_unit", poisoned)
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    box.refresh_from_db()
    assert box.sync_failures == 0 and box.last_sync_error_kind == ""
    inbox = Folder.objects.get(mailbox=box, name="INBOX")
    rows = {r.subject: r for r in MessageSummary.objects.filter(folder=inbox)}
    assert set(rows) == {"Avant", "Après", ""} and rows[""].unreadable
    django_signin(client, "gp")
    page = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/").content.decode()
    source = f"/bal/{box.pk}/dossier/{inbox.pk}/message/{rows[''].uid}/source/"
    assert "Message illisible — afficher la source" in page and source in page
    assert "Piege-poison" in client.get(source).content.decode()
