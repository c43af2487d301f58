"""Reading seeded messages: text, sanitised HTML in its own strict frame, attachments."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.mail.models import Folder, MessageSummary
from tests.conftest import PSCSim, django_signin

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def open_inbox(client: Client) -> Folder:
    django_signin(client, "gp")
    client.get("/", follow=True)
    return Folder.objects.get(mailbox__address="claire.martin@medecin.mssante.test", role="inbox")


def summary(folder: Folder, subject_start: str) -> MessageSummary:
    return MessageSummary.objects.filter(folder=folder, subject__startswith=subject_start).first()


def test_text_message_is_shown_escaped_and_marked_read(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                       seeded_mail: None, trust_data: None) -> None:
    inbox = open_inbox(client)
    m = summary(inbox, "Ordonnance de M. Garnier")
    base = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{m.uid}/"
    page = client.get(base).content.decode()
    assert "Ordonnance de M. Garnier" in page and "Sophie Bernard" in page
    assert "Pharmacien" in page  # what the directory knows of the sender
    assert "ordonnance-garnier.pdf" in page
    assert MessageSummary.objects.get(pk=m.pk).seen
    body = client.get(base + "contenu/")
    assert "default-src 'none'" in body["Content-Security-Policy"]
    assert "sandbox" in body["Content-Security-Policy"]
    assert "Sophie Bernard" in body.content.decode()
    part = next(a for a in page.split('href="') if "piece/" in a).split('"')[0]
    download = client.get(part)
    assert download["Content-Disposition"].startswith('attachment; filename="ordonnance-garnier.pdf"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/octet-stream"
    assert download.content.startswith(b"%PDF")


def test_html_newsletter_blocks_remote_images_until_asked(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                          seeded_mail: None) -> None:
    inbox = open_inbox(client)
    m = summary(inbox, "Lettre d'information")
    base = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{m.uid}/"
    page = client.get(base).content.decode()
    assert "Les images distantes sont bloquées" in page
    body = client.get(base + "contenu/")
    html = body.content.decode()
    assert "Campagne de vaccination antigrippale" in html and "newsletter.example.org" not in html
    assert "https:" not in body["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    shown = client.get(base + "contenu/?images=1")
    assert "newsletter.example.org/pixel.gif" in shown.content.decode()
    assert "https:" in shown["Content-Security-Policy"].split("img-src")[1].split(";")[0]


def test_health_document_message(client: Client, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None) -> None:
    inbox = open_inbox(client)
    m = summary(inbox, "XDM/1.0/DDM+")
    page = client.get(f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{m.uid}/").content.decode()
    assert "IHE_XDM.zip" in page and "Document de santé (IHE XDM)" in page
    assert "<h1 id=\"subject\">Compte rendu de biologie" in page  # the XDM prefix hidden


def test_a_message_gone_from_the_server_is_a_404_and_leaves_the_index(
        client: Client, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None) -> None:
    inbox = open_inbox(client)
    ghost = MessageSummary.objects.create(folder=inbox, uid=999999, subject="fantôme")
    gone = client.get(f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/999999/")
    assert gone.status_code == 404 and "Page introuvable" in gone.content.decode()  # French, in the site
    assert "Retour à la boîte de réception" in gone.content.decode()
    assert not MessageSummary.objects.filter(pk=ghost.pk).exists()


def test_list_filters(client: Client, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None) -> None:
    inbox = open_inbox(client)
    url = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/"

    def subjects(flt: str) -> list[str]:
        page = client.get(url, {"filtre": flt}).content.decode()
        return [c.split(">", 1)[1].split("<", 1)[0] for c in page.split('<a class="open"')[1:]]

    assert subjects("patients") == ["Question sur mon traitement après ma sortie"]
    assert subjects("documents") == ["Compte rendu de biologie DUPONT Jeanne 17/01/1980"]
    assert set(subjects("pj")) == {"Compte rendu de biologie DUPONT Jeanne 17/01/1980",
                                   "Ordonnance de M. Garnier – interaction fluindione / amoxicilline"}
    assert subjects("suivis") == [] and "Aucun message ne correspond à ce filtre" in client.get(url, {"filtre": "suivis"}).content.decode()
    unread = MessageSummary.objects.filter(folder=inbox, seen=False).count()
    assert len(subjects("nonlus")) == unread  # earlier tests may have read some on the server


@pytest.mark.requirement("ECO.1.2.3")
def test_operator_down_gives_the_french_page_not_a_500(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                       seeded_mail: None) -> None:
    from django.core.cache import cache

    inbox = open_inbox(client)
    m = summary(inbox, "Ordonnance de M. Garnier")
    cache.clear()
    inbox.mailbox.imap_port = 1
    inbox.mailbox.save()
    base = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{m.uid}/"
    for url in (base, base + "piece/1/", base + "source/"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert "ne répond pas" in response.content.decode()


def test_previews_of_images_and_pdf_only(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                         seeded_mail: None) -> None:
    from tests.integration.mail_server import append, reset_mailbox, synchro_inbox

    address = "synchro@medecin.mssante.test"
    reset_mailbox(address)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    append(address, subject="Photo de la plaie", attachment=("plaie.png", "image/png", png))
    append(address, subject="Schéma", attachment=("schema.svg", "image/svg+xml",
                                                  b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"))
    box, inbox = synchro_inbox()
    django_signin(client, "gp")

    photo = summary(inbox, "Photo de la plaie")
    base = f"/bal/{box.pk}/dossier/{inbox.pk}/message/{photo.uid}/"
    page = client.get(base).content.decode()
    thumb = re.search(r'<img class="thumb" src="([^"]+)" alt="Aperçu de plaie.png"', page)
    assert thumb
    shown = client.get(thumb.group(1).replace("&amp;", "&"))
    assert shown["Content-Type"] == "image/png" and shown["Content-Disposition"].startswith("inline")
    assert shown["X-Content-Type-Options"] == "nosniff" and "sandbox" in shown["Content-Security-Policy"]

    svg = summary(inbox, "Schéma")
    base = f"/bal/{box.pk}/dossier/{inbox.pk}/message/{svg.uid}/"
    page = client.get(base).content.decode()
    assert 'class="thumb"' not in page  # SVG can script: never shown inline
    part = re.search(r'href="(' + re.escape(base) + r'piece/\d+/)" download', page).group(1)
    assert client.get(part + "?apercu=1").status_code == 404
    assert client.get(part)["Content-Type"] == "application/octet-stream"

    gp_inbox = open_inbox(client)
    order = summary(gp_inbox, "Ordonnance de M. Garnier")
    base = f"/bal/{gp_inbox.mailbox_id}/dossier/{gp_inbox.pk}/message/{order.uid}/"
    page = client.get(base).content.decode()
    pdf = re.search(r'href="([^"]+\?apercu=1)" target="_blank" rel="noopener">Aperçu</a>', page)
    assert pdf and 'att-pdf' in page
    preview = client.get(pdf.group(1))
    assert preview["Content-Type"] == "application/pdf" and preview["Content-Disposition"].startswith("inline")
    assert "sandbox" in preview["Content-Security-Policy"] and preview.content.startswith(b"%PDF")


def test_an_unexpected_error_gives_the_french_500_page(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                         seeded_mail: None, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = open_inbox(client)

    def broken(**kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("apps.flows.actor.folder_list", broken)
    client.raise_request_exception = False
    page = client.get(f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/")
    assert page.status_code == 500 and "Une erreur est survenue" in page.content.decode()


def test_a_sender_outside_the_trust_space_is_pointed_out(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                        trust_data: None) -> None:
    """ui.md: a received message from outside the trust space says so (issue 16)."""
    from tests.integration.mail_server import append, reset_mailbox, synchro_inbox

    address = "synchro@medecin.mssante.test"
    reset_mailbox(address)
    append(address, subject="De l'extérieur", sender="Inconnu <quelquun@gmail.com>")
    append(address, subject="D'un confrère", sender="Julien Petit <julien.petit@hopital.mssante.test>")
    box, inbox = synchro_inbox()
    django_signin(client, "gp")
    notice = "espace de confiance MSSanté : vérifiez son expéditeur"
    outside = summary(inbox, "De l'extérieur")
    inside = summary(inbox, "D'un confrère")
    assert notice in client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{outside.uid}/").content.decode()
    assert notice not in client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{inside.uid}/").content.decode()
