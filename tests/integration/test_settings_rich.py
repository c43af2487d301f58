"""Signatures per mailbox, images always shown for a sender, and rich text sent as HTML
with a text alternative (cleaned on the server whatever the browser sent)."""

from __future__ import annotations

import email
import email.policy
import re
import uuid

import pytest
from django.test import Client

from apps.mail.models import Folder, Mailbox, MessageSummary
from tests.conftest import IDENTITIES, PSCSim, django_signin
from tests.integration.mail_server import outbox_send_pending, raw_with_subject, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
GP = IDENTITIES["gp"]["mailbox"]
EDUCATOR = IDENTITIES["educator"]["mailbox"]



def test_signature_per_mailbox_in_new_messages_and_replies(client: Client, psc_sim: PSCSim,
                                                           demo_accounts: None, seeded_mail: None) -> None:
    django_signin(client, "gp")
    box = Mailbox.objects.get(address=GP)
    page = client.get("/parametres/").content.decode()
    assert f'for="signature-{box.pk}"' in page and "Signatures" in page
    client.post("/parametres/", {f"signature-{box.pk}": "-- \nDr Claire Martin\nMédecin généraliste, Lyon\n\n"})
    assert "Dr Claire Martin\nMédecin généraliste, Lyon" in client.get("/parametres/").content.decode()
    new = client.get("/ecrire/").content.decode()
    assert "\n\n-- \nDr Claire Martin\nMédecin généraliste, Lyon\n</textarea>" in new
    assert 'data-signature="Dr Claire Martin\nMédecin généraliste, Lyon"' in new
    client.get("/", follow=True)
    inbox = Folder.objects.get(mailbox=box, role="inbox")
    m = MessageSummary.objects.filter(folder=inbox, subject__startswith="Ordonnance de M. Garnier").first()
    reply = client.get(f"/ecrire/?mode=reply&origine={box.pk}:{inbox.pk}:{m.uid}").content.decode()
    body = reply.split('name="body"', 1)[1]
    assert body.index("Dr Claire Martin") < body.index("&gt; Bonjour Docteur")  # above the quote
    draft = client.get(f"/ecrire/?mode=draft&origine={box.pk}:{inbox.pk}:{m.uid}").content.decode()
    assert "Dr Claire Martin" not in draft.split('name="body"', 1)[1].split("</textarea>")[0]


def test_images_always_shown_for_a_sender_until_blocked_again(client: Client, psc_sim: PSCSim,
                                                              demo_accounts: None, seeded_mail: None) -> None:
    django_signin(client, "gp")
    client.get("/", follow=True)
    inbox = Folder.objects.get(mailbox__address=GP, role="inbox")
    m = MessageSummary.objects.get(folder=inbox, subject__startswith="Lettre d'information")
    url = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{m.uid}/"
    page = client.get(url).content.decode()
    assert "Toujours pour lettre-info@ars.mssante.test" in page
    assert 'src="' + url + 'contenu/"' in page
    client.post(url + "images/")
    trusted = client.get(url).content.decode()
    assert 'src="' + url + 'contenu/?images=1"' in trusted and "Toujours pour" not in trusted
    assert "lettre-info@ars.mssante.test" in client.get("/parametres/").content.decode()
    client.post("/parametres/", {"forget": "lettre-info@ars.mssante.test"})
    assert 'src="' + url + 'contenu/"' in client.get(url).content.decode()


def test_rich_text_goes_as_cleaned_html_with_a_text_alternative(client: Client, psc_sim: PSCSim,
                                                                 demo_accounts: None, trust_data: None) -> None:
    subject = f"Consignes de sortie {uuid.uuid4().hex[:6]}"
    django_signin(client, "gp")
    html = ('<div>Bonjour <b>Léa</b>,</div><ul><li>pansement <i>J+2</i></li><li>INR à J+5</li></ul>'
            '<p onclick="x()">Voir <a href="https://www.has-sante.fr/">la reco</a> '
            '<a href="javascript:alert(1)">piège</a></p><script>alert(1)</script>'
            '<img src="https://pixel.example.org/t.gif">')
    response = client.post("/ecrire/", {"to": [EDUCATOR], "subject": subject, "body": "ignored by the server",
                                         "html": html})
    assert response.status_code == 302
    outbox_send_pending()
    assert wait_for_subject(EDUCATOR, "INBOX", subject)
    message = email.message_from_bytes(raw_with_subject(EDUCATOR, "INBOX", subject), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    rich = message.get_body(preferencelist=("html",)).get_content()
    assert "<b>Léa</b>" in rich and "<li>pansement <i>J+2</i></li>" in rich
    assert '<a href="https://www.has-sante.fr/">la reco</a>' in rich
    assert not re.search(r"script|onclick|javascript|<img|pixel", rich)
    assert "Bonjour Léa," in text and "- pansement J+2" in text and "- INR à J+5" in text
    assert "la reco <https://www.has-sante.fr/>" in text and "ignored" not in text
