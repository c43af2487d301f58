"""An HTML body too costly to clean (html5lib is quadratic on some shapes a sender
controls) no longer pins a web worker: past the budget, the frame shows the text part,
saying why."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest
from django.test import Client

from apps.mail import services
from apps.mail.models import Folder, MessageSummary
from tests.conftest import PSCSim, django_signin, imap_plain
from tests.integration.mail_server import synchro_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "synchro@medecin.mssante.test"


def test_a_hostile_html_body_falls_back_to_its_text(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                    settings: object) -> None:
    box = synchro_mailbox(0)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "x@hopital.mssante.test", ADDRESS, "Lettre piégée"
    message.set_content("La version texte, lisible.")
    message.add_alternative("<div>" * 60_000 + "fin", subtype="html")  # ~16 s per 20,000 before
    imap = imap_plain(ADDRESS)
    try:
        imap.append("INBOX", message.as_bytes())
    finally:
        imap.logout()
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    inbox = Folder.objects.get(mailbox=box, name="INBOX")
    uid = MessageSummary.objects.get(folder=inbox, subject="Lettre piégée").uid
    django_signin(client, "gp")
    base = f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/"
    started = time.perf_counter()
    page = client.get(base)
    body = client.get(base + "contenu/").content.decode()
    assert page.status_code == 200 and time.perf_counter() - started < 8
    assert "trop complexe pour être affichée" in body and "La version texte, lisible." in body
