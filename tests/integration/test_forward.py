"""Forwarding: inline with the original's attachments (the user picks which), or the whole
message attached as message/rfc822, which the recipient reads in place."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from apps.mail.models import Folder, Mailbox, MessageSummary, OutboxMessage
from tests.conftest import IDENTITIES, PSCSim, django_signin
from tests.integration.mail_server import append, outbox_send_pending, raw_with_subject, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
GP = IDENTITIES["gp"]["mailbox"]
EDUCATOR = IDENTITIES["educator"]["mailbox"]



def original(client: Client, subject: str) -> tuple[Folder, MessageSummary]:
    # In Archives, not the INBOX: other tests count the INBOX's attachments.
    append(GP, "Archive", subject=subject, body="Texte d'origine.\n",
           attachment=("resultats.pdf", "application/pdf", b"%PDF-1.4 resultats"))
    django_signin(client, "gp")
    client.get("/", follow=True)
    box = Mailbox.objects.get(address=GP)
    client.post(f"/bal/{box.pk}/synchroniser/", {"folder": "Archive"})  # with the PSC token
    inbox = Folder.objects.get(mailbox=box, role="archive")
    return inbox, MessageSummary.objects.get(folder=inbox, subject=subject)


def test_forward_keeps_the_attachments_chosen(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                              trust_data: None) -> None:
    subject = f"Résultats à transmettre {uuid.uuid4().hex[:6]}"
    inbox, m = original(client, subject)
    origin = f"{inbox.mailbox_id}:{inbox.pk}:{m.uid}"
    page = client.get(f"/ecrire/?mode=forward&origine={origin}").content.decode()
    assert "Pièces jointes du message d&#x27;origine" in page or "Pièces jointes du message d'origine" in page
    keep = re.search(r'name="keep" value="(\d+)" checked', page)
    assert keep and "resultats.pdf" in page
    response = client.post("/ecrire/", {"to": [EDUCATOR], "subject": f"Tr: {subject}", "body": "Pour info.",
                                         "origin": origin, "forward": "inline", "keep": [keep.group(1)]})
    assert response.status_code == 302
    outbox_send_pending()
    assert wait_for_subject(EDUCATOR, "INBOX", f"Tr: {subject}")
    raw = raw_with_subject(EDUCATOR, "INBOX", f"Tr: {subject}")
    assert b'filename="resultats.pdf"' in raw and b"Pour info." in raw

    unkept = f"Sans pièce {subject}"
    client.post("/ecrire/", {"to": [EDUCATOR], "subject": unkept, "body": "x", "origin": origin,
                             "forward": "inline"})  # nothing ticked: nothing carried
    outbox_send_pending()
    assert wait_for_subject(EDUCATOR, "INBOX", unkept)
    assert b"resultats.pdf" not in raw_with_subject(EDUCATOR, "INBOX", unkept)


def test_forward_as_attachment_is_read_in_place(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                trust_data: None) -> None:
    subject = f"Courrier à faire suivre {uuid.uuid4().hex[:6]}"
    inbox, m = original(client, subject)
    origin = f"{inbox.mailbox_id}:{inbox.pk}:{m.uid}"
    response = client.get(f"/ecrire/?mode=attached&origine={origin}")
    page = response.content.decode()
    assert "Le message d&#x27;origine part en pièce jointe" in page or "Le message d'origine part en pièce jointe" in page
    assert f'value="Tr: {subject}"' in page
    client.post("/ecrire/", {"to": [EDUCATOR], "subject": f"Tr: {subject}", "body": "Ci-joint.",
                             "origin": origin, "forward": "attached"})
    outbox_send_pending()
    assert wait_for_subject(EDUCATOR, "INBOX", f"Tr: {subject}")
    raw = raw_with_subject(EDUCATOR, "INBOX", f"Tr: {subject}")
    assert b"Content-Type: message/rfc822" in raw and b"Texte d'origine." in raw

    client.logout()
    django_signin(client, "educator")
    client.get("/", follow=True)
    box = Mailbox.objects.get(address=EDUCATOR)
    client.post(f"/bal/{box.pk}/synchroniser/", {"folder": "INBOX"})
    their_inbox = Folder.objects.get(mailbox=box, role="inbox")
    received = MessageSummary.objects.get(folder=their_inbox, subject=f"Tr: {subject}")
    base = f"/bal/{box.pk}/dossier/{their_inbox.pk}/message/{received.uid}/"
    reader = client.get(base).content.decode()
    link = re.search(r'href="(' + re.escape(base) + r'piece/\d+/lire/)"', reader)
    assert link, "a Read link for the attached message"
    attached = client.get(link.group(1)).content.decode()
    assert subject in attached and "resultats.pdf" in attached  # its own attachment named
    body = client.get(link.group(1) + "contenu/")
    assert "Texte d&#x27;origine." in body.content.decode() or "Texte d'origine." in body.content.decode()
    assert "default-src 'none'" in body["Content-Security-Policy"]
    assert client.get(base + "piece/0/lire/").status_code == 404  # not a message part


def test_an_original_gone_before_sending_is_said_and_nothing_is_lost(client: Client, psc_sim: PSCSim,
                                                                     demo_accounts: None, trust_data: None) -> None:
    subject = f"Original effacé {uuid.uuid4().hex[:6]}"
    folder, m = original(client, subject)
    gone = f"{folder.mailbox_id}:{folder.pk}:{m.uid + 100000}"  # expunged and its session told
    data = {"to": [EDUCATOR], "subject": f"Tr: {subject}", "body": "Texte à garder.", "origin": gone,
            "forward": "inline", "keep": ["1"]}
    refused = client.post("/ecrire/", data)
    html = refused.content.decode()
    assert refused.status_code == 409 and "n&#x27;est plus dans votre boîte" in html
    assert "Texte à garder." in html and not OutboxMessage.objects.filter(subject=f"Tr: {subject}").exists()
    del data["keep"]  # without the attachment it goes
    assert client.post("/ecrire/", data).status_code == 302
