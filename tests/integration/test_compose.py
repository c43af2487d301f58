"""Sending from the compose page: the trust space is enforced server-side, and a message
to a trusted recipient travels SMTP → LMTP → IMAP and is filed in Sent."""

from __future__ import annotations

import email
import email.policy
import uuid

import pytest
from django.conf import settings
from django.test import Client

from apps.mail.models import OutboxMessage
from tests.conftest import IDENTITIES, PSCSim, django_signin, navigating_client
from tests.integration.mail_server import outbox_send_pending, raw_with_subject, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def find(address: str, folder: str, subject: str, timeout: float = 10) -> bool:
    return wait_for_subject(address, folder, subject, timeout)



@pytest.mark.requirement("ECO.2.2.1", "ECO.2.2.2", "ECO.2.2.3", "ECO.2.2.7", "ECO.2.4.3")
def test_send_to_a_trusted_colleague(client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    django_signin(client, "gp")
    subject = f"Avis pour Mme Roux {uuid.uuid4().hex[:6]}"
    response = client.post("/ecrire/", {"to": [IDENTITIES["educator"]["mailbox"]], "subject": subject,
                                         "body": "Bonjour,\nje passe à 17 h.\n"})
    assert response.status_code == 302 and response["Location"] == "/envoi/"
    assert "En attente d&#x27;envoi" in client.get("/envoi/").content.decode() or \
        "En attente d'envoi" in client.get("/envoi/").content.decode()
    outbox_send_pending()
    outgoing = OutboxMessage.objects.get(subject=subject)
    assert outgoing.status == "sent" and bytes(outgoing.raw) == b""  # the body is not kept
    assert find(IDENTITIES["educator"]["mailbox"], "INBOX", subject)
    assert find(IDENTITIES["gp"]["mailbox"], "Sent", subject)
    raw = raw_with_subject(IDENTITIES["educator"]["mailbox"], "INBOX", subject, "BODY.PEEK[HEADER]")
    headers = email.message_from_bytes(raw, policy=email.policy.default)
    assert headers["X-MSS-NIL"] == settings.MSSANTE_NIL
    assert headers["Message-ID"].endswith("@medecin.mssante.test>")  # ECO.2.2.1
    assert headers.get_content_type() == "text/plain" and headers.get_content_charset() == "utf-8"
    # ECO.2.2.7: <Titre>_<Prénom>_<NOM>[_<Entité>], from PSC's practice identity
    assert headers["From"].addresses[0].display_name.startswith("Dr_Claire_MARTIN")
    assert headers["From"].addresses[0].addr_spec == IDENTITIES["gp"]["mailbox"]


def test_outside_recipients_are_refused_and_nothing_leaves(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                           trust_data: None) -> None:
    django_signin(client, "gp")
    subject = f"Ne doit pas partir {uuid.uuid4().hex[:6]}"
    response = client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"], "ami@gmail.com"],
                                         "subject": subject, "body": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Rien n&#x27;a été envoyé" in page or "Rien n'a été envoyé" in page
    assert "ami@gmail.com" in page and "espace de confiance MSSanté" in page
    assert not OutboxMessage.objects.exists()  # refused before anything was stored
    assert not find(IDENTITIES["nurse"]["mailbox"], "INBOX", subject, timeout=1.5)
    empty = client.post("/ecrire/", {"to": [], "subject": "vide", "body": "x"})
    assert empty.status_code == 400 and "Ajoutez au moins un destinataire." in empty.content.decode()
    assert "erreur inattendue" not in empty.content.decode()


def test_addresses_typed_without_javascript_become_recipients_and_nothing_is_sent(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    """Enter in the "To" field before compose.js has run (or without JavaScript) submits the
    form with the text still in the field: the addresses become chips, as the script would
    make them, and nothing leaves until the user clicks Send."""
    django_signin(client, "gp")
    subject = f"Tapé sans script {uuid.uuid4().hex[:6]}"
    nurse, educator = IDENTITIES["nurse"]["mailbox"], IDENTITIES["educator"]["mailbox"]
    response = client.post("/ecrire/", {"to": [nurse], "to_typed": f"{nurse.upper()}; Léa <{educator}>, ami@gmail.com",
                                         "subject": subject, "body": "Note à moitié écrite"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Destinataires ajoutés : vérifiez-les, puis cliquez sur Envoyer." in page
    assert page.count(f'name="to" value="{nurse}"') == 1  # typed again: not twice
    assert (f'data-kind="trusted"><span class="chip-name">Léa MOREAU</span>'
            f'<span class="chip-address">{educator}</span>') in page  # named from the directory
    assert 'data-kind="outside"><span class="chip-name" hidden></span><span class="chip-address">ami@gmail.com' in page
    assert subject in page and "Note à moitié écrite" in page  # nothing typed is lost
    assert not OutboxMessage.objects.exists()
    # Words without "@" are a directory search left in the field, not recipients.
    sent = client.post("/ecrire/", {"to": [nurse], "to_typed": "mor", "subject": subject, "body": "x"})
    assert sent.status_code == 302 and OutboxMessage.objects.get().recipients == [nurse]


def test_suggestions_and_recipient_check_endpoints(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                   trust_data: None) -> None:
    django_signin(client, "nurse")
    results = client.get("/annuaire/suggestions/", {"q": "mor"}).json()["results"]
    lea = next(r for r in results if r["address"] == IDENTITIES["educator"]["mailbox"])
    assert (lea["profession"], lea["city"]) == ("Éducateur spécialisé", "BRON")
    assert client.get("/annuaire/suggestions/", {"q": "m"}).json() == {"results": []}
    verdict = client.get("/ecrire/destinataire/", {"a": "x@gmail.com"}).json()
    assert verdict["kind"] == "outside" and not verdict["allowed"]
    patient = client.get("/ecrire/destinataire/", {"a": "280017512345610@patient.mssante.test"}).json()
    assert patient["kind"] == "patient" and patient["allowed"]
    assert patient["name"] == "", "not in this nurse's patient list: no name to show"
    named = client.get("/ecrire/destinataire/", {"a": IDENTITIES["educator"]["mailbox"].upper()}).json()
    assert (named["address"], named["name"]) == (IDENTITIES["educator"]["mailbox"], "Léa MOREAU")
    doctor = navigating_client()
    django_signin(doctor, "gp")  # the demo put the patient in Claire's list
    patient = doctor.get("/ecrire/destinataire/", {"a": "280017512345610@patient.mssante.test"}).json()
    assert patient["name"] == "DUPONT Jeanne"
    page = doctor.get("/ecrire/", {"a": "280017512345610@patient.mssante.test"}).content.decode()
    assert '<span class="chip-name">DUPONT Jeanne</span>' in page


def test_suggestions_put_recent_correspondents_and_patients_first(client: Client, psc_sim: PSCSim,
                                                                  demo_accounts: None, seeded_mail: None,
                                                                  trust_data: None) -> None:
    django_signin(client, "gp")
    client.get("/", follow=True)  # the INBOX indexed: the patient's message among others
    results = client.get("/annuaire/suggestions/", {"q": "dupont"}).json()["results"]
    patient = results[0]
    assert patient["address"] == "280017512345610@patient.mssante.test"
    assert patient["profession"] == "Patient · INS 280017512345610"
    nurse = client.get("/annuaire/suggestions/", {"q": "julien"}).json()["results"]
    addresses = [r["address"] for r in nurse]
    assert addresses[0] == IDENTITIES["nurse"]["mailbox"] and nurse[0]["profession"] == "Correspondant récent"
    assert addresses.count(IDENTITIES["nurse"]["mailbox"]) == 1  # not again from the directory
    assert IDENTITIES["gp"]["mailbox"] not in [r["address"] for r in
                                               client.get("/annuaire/suggestions/", {"q": "claire"}).json()["results"]]
    # Bounded to the newest messages: with a window of one, the patient's is too old.
    from apps.mail import selectors

    selectors.RECENT_ROWS, before = 1, selectors.RECENT_ROWS
    try:
        older = client.get("/annuaire/suggestions/", {"q": "dupont"}).json()["results"]
    finally:
        selectors.RECENT_ROWS = before
    # Not as a recent correspondent any more; still as one of the doctor's patients (the
    # demo puts her in Claire's list), with her date of birth.
    assert [r["profession"] for r in older if r["address"] == "280017512345610@patient.mssante.test"] == [
        "Patient · né(e) le 17/01/1980 · INS 280017512345610"]


def test_reply_all_and_forward_prefill_and_thread(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                  seeded_mail: None, trust_data: None) -> None:
    from apps.mail.models import Folder, MessageSummary

    django_signin(client, "gp")
    client.get("/", follow=True)
    inbox = Folder.objects.get(mailbox__address=IDENTITIES["gp"]["mailbox"], role="inbox")
    original = MessageSummary.objects.filter(folder=inbox, subject__startswith="Re: Sortie").first()
    origin = f"{inbox.mailbox_id}:{inbox.pk}:{original.uid}"
    reply = client.get("/ecrire/", {"mode": "all", "origine": origin}).content.decode()
    assert 'value="Re: Sortie de Mme Jeanne Dupont' in reply
    assert IDENTITIES["nurse"]["mailbox"] in reply
    assert IDENTITIES["gp"]["mailbox"] not in reply.split('name="to"')[1][:200]  # not to oneself
    assert "&gt; Le laboratoire vous adresse" in reply and "a écrit" in reply
    assert 'name="in_reply_to" value="&lt;sortie-dupont-3@demo.mssante-web&gt;"' in reply
    assert "sortie-dupont-1@demo.mssante-web" in reply.split('name="references"')[1][:300]
    forward = client.get("/ecrire/", {"mode": "forward", "origine": origin}).content.decode()
    assert 'value="Tr: Re: Sortie' in forward and "Message transféré" in forward
    subject = f"Re: suivi {uuid.uuid4().hex[:6]}"
    client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject, "body": "ok",
                             "in_reply_to": "<sortie-dupont-3@demo.mssante-web>",
                             "references": "<sortie-dupont-1@demo.mssante-web> <sortie-dupont-3@demo.mssante-web>"})
    outbox_send_pending()
    assert find(IDENTITIES["nurse"]["mailbox"], "INBOX", subject)
    raw = raw_with_subject(IDENTITIES["nurse"]["mailbox"], "INBOX", subject,
                           "BODY.PEEK[HEADER.FIELDS (IN-REPLY-TO REFERENCES)]")
    assert b"In-Reply-To: <sortie-dupont-3@demo.mssante-web>" in raw and b"sortie-dupont-1" in raw


def test_reply_with_an_attachment_reaches_the_recipients_inbox(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                               seeded_mail: None, trust_data: None) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    django_signin(client, "gp")
    subject = f"Re: bilan {uuid.uuid4().hex[:6]}"
    pdf = SimpleUploadedFile("compte rendu/../Dupont.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    response = client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject, "body": "ci-joint",
                                         "attachments": [pdf]})
    assert response.status_code == 302
    outbox_send_pending()
    assert find(IDENTITIES["nurse"]["mailbox"], "INBOX", subject)
    raw = raw_with_subject(IDENTITIES["nurse"]["mailbox"], "INBOX", subject)
    assert b"JVBERi0xLjQgZGVtbw" in raw  # "%PDF-1.4 demo", base64-encoded
    assert b'filename="Dupont.pdf"' in raw and b".." not in raw.split(b"filename=")[1][:40]  # no path


def test_attachments_over_the_operator_limit_are_refused_before_anything_is_stored(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None, settings: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MSSANTE_MAX_MESSAGE_SIZE = 1000  # type: ignore[attr-defined]
    django_signin(client, "gp")
    big = SimpleUploadedFile("scanner.pdf", b"x" * 2000, content_type="application/pdf")
    response = client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": "gros", "body": "x",
                                         "attachments": [big]})
    assert response.status_code == 413
    assert "accepte des messages jusqu" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_an_upload_past_the_limit_is_not_kept_and_what_was_typed_is(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None, settings: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MSSANTE_MAX_MESSAGE_SIZE = 100_000  # type: ignore[attr-defined]
    django_signin(client, "gp")
    big = SimpleUploadedFile("irm.dcm", b"x" * 600_000, content_type="application/dicom")
    # The file first: the fields after it are still read once its bytes are dropped.
    response = client.post("/ecrire/", {"attachments": [big], "to": [IDENTITIES["nurse"]["mailbox"]],
                                         "subject": "Résultats IRM", "body": "Texte à ne pas perdre"})
    page = response.content.decode()
    assert response.status_code == 413 and "accepte des messages jusqu" in page
    assert "Résultats IRM" in page and "Texte à ne pas perdre" in page
    assert not OutboxMessage.objects.exists()


def test_cc_and_bcc_reach_everyone_and_no_header_names_the_blind_copy(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    """Issue 16: Cc in the header, Bcc in the envelope only (RFC 5322 §3.6.3); the
    recipients and the Sent copy see no trace of the blind copy."""
    django_signin(client, "gp")
    subject = f"Staff du jeudi {uuid.uuid4().hex[:6]}"
    to, cc, bcc = (IDENTITIES[k]["mailbox"] for k in ("educator", "nurse", "pharmacist"))
    response = client.post("/ecrire/", {"to": [to], "cc": [cc], "bcc": [bcc], "subject": subject,
                                         "body": "Ordre du jour en pièce jointe."})
    assert response.status_code == 302
    outgoing = OutboxMessage.objects.get(subject=subject)
    assert sorted(outgoing.recipients) == sorted([to, cc, bcc])
    outbox_send_pending()
    for address in (to, cc, bcc):
        assert find(address, "INBOX", subject), address
    assert find(IDENTITIES["gp"]["mailbox"], "Sent", subject)
    copies = [raw_with_subject(a, "INBOX", subject) for a in (to, cc, bcc)]
    copies.append(raw_with_subject(IDENTITIES["gp"]["mailbox"], "Sent", subject))
    for raw in copies:
        header = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").lower()
        assert f"cc: {cc}".encode() in header and f"to: {to}".encode() in header
        assert b"\nbcc:" not in header and bcc.encode() not in header.replace(b"delivered-to: " + bcc.encode(), b"")


def test_a_blind_copy_outside_the_trust_space_is_refused_too(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    django_signin(client, "gp")
    subject = f"Cci refusé {uuid.uuid4().hex[:6]}"
    response = client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "bcc": ["ami@gmail.com"],
                                         "subject": subject, "body": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "ami@gmail.com" in page and 'name="bcc" value="ami@gmail.com"' in page  # still in its field
    assert not OutboxMessage.objects.filter(subject=subject).exists()


def test_without_javascript_cc_typed_becomes_chips_and_a_chip_is_dropped_from_its_own_field(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    django_signin(client, "gp")
    nurse, educator = IDENTITIES["nurse"]["mailbox"], IDENTITIES["educator"]["mailbox"]
    page = client.post("/ecrire/", {"to": [nurse], "cc_typed": f"{educator}, {nurse}", "subject": "s",
                                    "body": "x"}).content.decode()
    assert f'name="cc" value="{educator}"' in page and f'name="cc" value="{nurse}"' in page
    assert page.count(f'name="to" value="{nurse}"') == 1
    # The nurse's « × » in Cc leaves her in À.
    page = client.post("/ecrire/", {"to": [nurse], "cc": [educator, nurse], "drop": f"cc:{nurse}",
                                    "subject": "s", "body": "x"}).content.decode()
    assert f'name="cc" value="{nurse}"' not in page and f'name="to" value="{nurse}"' in page
    assert f'name="cc" value="{educator}"' in page


def test_reply_all_puts_the_originals_cc_in_cc_and_a_draft_keeps_its_blind_copies(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    from apps.mail.models import Folder
    from tests.integration.mail_server import append

    nurse, gp, educator, pharmacist = (IDENTITIES[k]["mailbox"] for k in ("nurse", "gp", "educator", "pharmacist"))
    subject = f"Réunion de synthèse {uuid.uuid4().hex[:6]}"
    uid = append(gp, subject=subject, sender=f"Julien PETIT <{nurse}>", to=f"{gp}, {educator}", cc=pharmacist)
    django_signin(client, "gp")
    client.get("/", follow=True)
    inbox = Folder.objects.get(mailbox__address=gp, role="inbox")
    page = client.get("/ecrire/", {"mode": "all", "origine": f"{inbox.mailbox_id}:{inbox.pk}:{uid}"}
                      ).content.decode()
    to_part, cc_part = page.split('id="cc-field"')[0], page.split('id="cc-field"')[1].split('id="bcc-field"')[0]
    assert f'name="to" value="{nurse}"' in to_part and f'name="to" value="{educator}"' in to_part
    assert f'name="cc" value="{pharmacist}"' in cc_part
    assert f'value="{gp}"' not in to_part + cc_part  # not to oneself
    # A draft with a blind copy comes back with it, in Cci.
    draft_subject = f"Brouillon Cci {uuid.uuid4().hex[:6]}"
    saved = client.post("/ecrire/brouillon/", {"to": [nurse], "bcc": [pharmacist], "subject": draft_subject,
                                               "body": "à finir"}).json()
    assert saved["draft_uid"]
    raw = raw_with_subject(gp, "Drafts", draft_subject)
    assert f"Bcc: {pharmacist}".encode() in raw
    drafts = Folder.objects.get(mailbox__address=gp, role="drafts")
    resumed = client.get("/ecrire/", {"mode": "draft", "origine": f"{drafts.mailbox_id}:{drafts.pk}:{saved['draft_uid']}"}
                         ).content.decode()
    assert f'name="bcc" value="{pharmacist}"' in resumed
