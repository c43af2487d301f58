"""Health documents in the reader through the real stack (issue 13): a message carrying an
IHE_XDM.zip shows one card per document; the document page shows the header (patient with
INS and the test-INS badge first), the sections from our renderer (images served by the
page), an N1's PDF in the viewer and for download; opening is audited; a hostile package is
a card with the French reason and the rest of the message stays whole."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from apps.audit.models import AuditEvent
from apps.mail.models import MessageSummary
from tests.conftest import PSCSim, django_signin, navigating_client
from tests.integration.mail_server import SYNCHRO, append, reset_mailbox, synchro_inbox
from tests.unit.documents import builders

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_an_xdm_message_shows_cards_and_document_pages(client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    reset_mailbox(SYNCHRO)
    tag = uuid.uuid4().hex[:6]
    package = builders.xdm([("DOC0001.XML", builders.n1_pdf()), ("DOC0002.XML", builders.n3())])
    append(SYNCHRO, subject=f"XDM/1.0/DDM+CR de biologie DUPONT Jeanne {tag}",
           attachment=("IHE_XDM.zip", "application/zip", package))
    append(SYNCHRO, subject=f"Archive piégée {tag}", body="Le texte reste lisible.\n",
           attachment=("IHE_XDM.zip", "application/zip",
                       builders.zip_of({"IHE_XDM/SUBSET01/METADATA.XML": b"<a/>", "../../evil.sh": b"x"})))
    box, inbox = synchro_inbox(expected=2)
    django_signin(client, "gp")
    message = MessageSummary.objects.get(folder=inbox, subject__endswith=f"DUPONT Jeanne {tag}")
    base = f"/bal/{box.pk}/dossier/{inbox.pk}/message/{message.uid}/"
    page = client.get(base).content.decode()
    assert "2 documents de santé" in page
    assert "DUPONT" in page and "INS de test" in page and "Dr Claire MARTIN" in page
    links = sorted({part.split('"')[0] for part in page.split('href="')[1:] if "/document/" in part})
    assert len(links) == 2

    n1 = client.get(links[0]).content.decode()
    assert "INS 279035121518989" in n1 and "INS de test" in n1 and "Hôpital de Villefranche" in n1
    assert "annule et remplace" in n1
    pdf = client.get(links[0] + "fichier/")
    assert pdf.content == builders.PDF and pdf["Content-Type"] == "application/pdf"
    assert "sandbox" in pdf["Content-Security-Policy"]
    download = client.get(links[0] + "fichier/?telecharger=1")
    assert download["Content-Disposition"].startswith("attachment;")

    n3 = client.get(links[1]).content.decode()
    assert "Résultats" in n3 and "Sous-section" in n3 and "H<sub>2</sub>O" in n3
    main = n3.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert "<script" not in main and "javascript:" not in main and "data:text/html" not in main
    assert "onclick" not in main and "piège2" in main  # the words stay, the hostile links go
    image_url = links[1] + "image/img1/"
    assert f'src="{image_url}"' in n3
    image = client.get(image_url)
    assert image.content == builders.PNG and image["Content-Type"] == "image/png"
    assert client.get(links[1] + "image/img2/").status_code == 404  # text/html: never served
    opened = AuditEvent.objects.filter(event="document_opened", mailbox=SYNCHRO)
    from apps.core.crypto import patient_reference

    # the patient, pseudonymous: no INS in the trail (issue 27, point 9)
    assert opened.count() == 2 and opened.first().details["patient"] == patient_reference("279035121518989")  # type: ignore[union-attr]

    hostile = MessageSummary.objects.get(folder=inbox, subject=f"Archive piégée {tag}")
    page = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{hostile.uid}/")
    text = page.content.decode()
    assert page.status_code == 200 and "chemin dangereux" in text and "IHE_XDM.zip" in text
    body = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{hostile.uid}/contenu/").content.decode()
    assert "Le texte reste lisible." in body


def test_the_document_badge_follows_what_the_content_holds(client: Client, psc_sim: PSCSim,
                                                           demo_accounts: None) -> None:
    reset_mailbox(SYNCHRO)
    append(SYNCHRO, subject="Un export XML quelconque", attachment=("export.xml", "text/xml", b"<rows><row/></rows>"))
    append(SYNCHRO, subject="Un CDA nu", attachment=("cr.xml", "text/xml", builders.n1_text()))
    box, inbox = synchro_inbox(expected=2)
    django_signin(client, "gp")
    plain = MessageSummary.objects.get(folder=inbox, subject="Un export XML quelconque")
    cda = MessageSummary.objects.get(folder=inbox, subject="Un CDA nu")
    assert plain.att_cda and cda.att_cda  # guessed from the names at sync
    for row in (plain, cda):
        client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{row.uid}/")
    plain.refresh_from_db()
    cda.refresh_from_db()
    assert not plain.att_cda and cda.att_cda  # read: only the real document keeps its badge
    listed = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/", {"filtre": "documents"}).content.decode()
    assert "Un CDA nu" in listed and "Un export XML quelconque" not in listed


@pytest.mark.requirement("ECO.2.1.1", "ECO.2.1.3", "ECO.2.4.1", "ECO.2.4.2")
def test_a_document_made_from_a_pdf_is_sent_with_its_headers_and_opens_as_a_card(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.mail.models import OutboxMessage
    from tests.conftest import IDENTITIES
    from tests.integration.mail_server import outbox_send_pending, raw_with_subject, wait_for_subject

    educator = IDENTITIES["educator"]["mailbox"]
    django_signin(client, "gp")
    tag = uuid.uuid4().hex[:6]
    form = {"to": [educator], "subject": "", "body": f"Ci-joint le compte rendu {tag}.",
            "doc_type": "11502-2", "doc_title": f"Bilan {tag}", "doc_ins": "279035121518989",
            "doc_ins_kind": "TEST", "doc_birth_name": "Dupont", "doc_given_names": "Jeanne Marie",
            "doc_birth_date": "1979-03-28", "doc_sex": "F", "doc_birth_place": "51215"}
    refused = client.post("/ecrire/", {**form, "doc_ins": "279035121518988",
                                       "doc_pdf": SimpleUploadedFile("bilan.pdf", builders.PAGE_PDF,
                                                                     "application/pdf")})
    assert refused.status_code == 400 and "n'est pas valide" in refused.content.decode().replace("&#x27;", "'")
    assert not OutboxMessage.objects.filter(subject__contains="DUPONT").exists()  # nothing left
    no_page = client.post("/ecrire/", {**form, "doc_pdf": SimpleUploadedFile("bilan.pdf", builders.PDF,
                                                                            "application/pdf")})
    assert no_page.status_code == 400 and "PDF/A" in no_page.content.decode()  # refused in French, nothing sent
    sent = client.post("/ecrire/", {**form, "doc_pdf": SimpleUploadedFile("bilan.pdf", builders.PAGE_PDF,
                                                                         "application/pdf")})
    assert sent.status_code == 302, sent.content.decode()[:3000]
    subject = "XDM/1.0/DDM+CR d'examens biologiques DUPONT Jeanne 28/03/1979"
    outgoing = OutboxMessage.objects.filter(subject=subject).latest("pk")
    outbox_send_pending()
    outgoing.refresh_from_db()
    assert outgoing.status == "sent", outgoing.last_error
    assert wait_for_subject(educator, "INBOX", subject)
    header = raw_with_subject(educator, "INBOX", subject, "BODY.PEEK[HEADER]").decode()
    # a test INS is never qualified (X-MSS-INS: N)
    assert "X-MSS-CODECDA: 11502-2" in header and "X-MSS-INS: N" in header and "X-MSS-NIL:" in header

    reader = navigating_client()
    django_signin(reader, "educator")
    reader.get("/", follow=True)
    from apps.mail.models import Folder, Mailbox
    box = Mailbox.objects.get(address=educator)
    inbox = Folder.objects.get(mailbox=box, role="inbox")
    reader.post(f"/bal/{box.pk}/synchroniser/", {"folder": "INBOX"})
    received = MessageSummary.objects.filter(folder=inbox, subject=subject).latest("uid")
    page = reader.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{received.uid}/").content.decode()
    assert "1 document de santé" in page and "DUPONT" in page
    assert "_CR-d-examens-biologiques_DUPONT_Jeanne_" in page  # the PDF/A beside, under its ECO.2.1.6 name
    assert "aucun document ne" not in page and "un document en porte un" not in page  # they agree
    link = next(part.split('"')[0] for part in page.split('href="')[1:] if "/document/" in part)
    document = reader.get(link).content.decode()
    assert f"Bilan {tag}" in document and "Claire MARTIN" in document and "INS 279035121518989" in document
    from apps.documents.produce import pdfa_part

    assert pdfa_part(reader.get(link + "fichier/").content) == 1


@pytest.mark.requirement("ECO.2.4.2")
def test_an_x_mss_ins_header_that_contradicts_the_documents_is_shown(client: Client, psc_sim: PSCSim,
                                                                     demo_accounts: None) -> None:
    reset_mailbox(SYNCHRO)
    tag = uuid.uuid4().hex[:6]
    package = builders.xdm([("DOC0001.XML", builders.n1_pdf())])
    # a test INS is never qualified: "O" on it is the contradiction (and "N" is right)
    append(SYNCHRO, subject=f"INS contradictoire {tag}", X_MSS_INS="O",
           attachment=("IHE_XDM.zip", "application/zip", package))
    box, inbox = synchro_inbox(expected=1)
    django_signin(client, "gp")
    message = MessageSummary.objects.get(folder=inbox, subject=f"INS contradictoire {tag}")
    page = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{message.uid}/").content.decode()
    assert "X-MSS-INS: O" in page and "aucun document" in page
