"""Read receipts and delivery reports end to end: asked when sending, the operator's
Postfix reports delivery (DSN) to the sender's INBOX, the recipient is asked (never a silent
receipt) and sends one (MDN), and the sender sees both on the message in Sent."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from apps.mail.models import Folder, Mailbox, MessageSummary, OutboxMessage
from mailproto.mime.receipts import mdn_build, parse_report
from tests.conftest import IDENTITIES, PSCSim, django_signin, imap_plain, navigating_client
from tests.integration.mail_server import outbox_send_pending, raw_with_subject, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
GP = IDENTITIES["gp"]["mailbox"]
EDUCATOR = IDENTITIES["educator"]["mailbox"]



def open_folder(client: Client, address: str, role: str) -> Folder:
    box = Mailbox.objects.get(address=address)
    client.get("/", follow=True)
    folder = Folder.objects.get(mailbox=box, role=role)
    client.post(f"/bal/{box.pk}/synchroniser/", {"folder": folder.name})
    return folder


@pytest.mark.requirement("ECO.2.3.2")
def test_mdn_round_trip_and_parsing() -> None:
    original = "<179569065175.12173.11021593692700871788@medecin.mssante.test>"  # long: no QP folding
    mdn = mdn_build(reporter="b@y.test", reporter_name="B", to="a@x.test", original_message_id=original,
                    subject="Accusé", explanation="Affiché.\n", message_id="<m@y>")
    report = parse_report(mdn.as_bytes())
    assert report is not None and (report.kind, report.original_message_id, report.recipient,
                                   report.outcome) == ("mdn", original, "b@y.test", "displayed")
    assert parse_report(b"Subject: x\r\n\r\nnot a report\r\n") is None
    assert parse_report(b"Content-Type: multipart/report; boundary=z\r\n\r\n--z--\r\n") is None


@pytest.mark.requirement("ECO.2.3.1", "ECO.2.3.2", "ECO.3.1.6")
def test_receipts_asked_answered_and_shown(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                           trust_data: None) -> None:
    subject = f"Visite de Mme Roux {uuid.uuid4().hex[:6]}"
    django_signin(client, "gp")
    compose = client.get("/ecrire/").content.decode()
    assert "Demander un accusé de lecture" in compose and "Demander un accusé de réception" in compose
    response = client.post("/ecrire/", {"to": [EDUCATOR], "subject": subject, "body": "Je passe demain.",
                                         "read_receipt": "1", "dsn": "1"})
    assert response.status_code == 302
    assert OutboxMessage.objects.get(subject=subject).dsn
    outbox_send_pending()
    assert wait_for_subject(EDUCATOR, "INBOX", subject)
    header = raw_with_subject(EDUCATOR, "INBOX", subject, "BODY.PEEK[HEADER]")
    assert f"Disposition-Notification-To: {GP}".encode() in header

    # The recipient is asked, and chooses to send the receipt.
    other = navigating_client()
    django_signin(other, "educator")
    inbox = open_folder(other, EDUCATOR, "inbox")
    received = MessageSummary.objects.get(folder=inbox, subject=subject)
    url = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{received.uid}/"
    page = other.get(url).content.decode()
    assert f"{GP} demande un accusé de lecture." in page
    answer = other.post(url + "accuse/", {"action": "send"}, follow=True).content.decode()
    assert "Accusé de lecture envoyé." in answer
    assert "demande un accusé de lecture" not in other.get(url).content.decode()  # asked once
    box = imap_plain(EDUCATOR)
    box.select_folder("INBOX", readonly=True)
    assert b"$MDNSent" in box.get_flags([received.uid])[received.uid]  # other clients know too
    box.logout()
    outbox_send_pending()

    # The sender sees both reports on the message in Sent.
    assert wait_for_subject(GP, "INBOX", f"Accusé de lecture : {subject}")
    open_folder(client, GP, "inbox")
    sent = open_folder(client, GP, "sent")
    mine = MessageSummary.objects.get(folder=sent, subject=subject)
    # A busy mailbox gets many receipts about other messages the same day: they must not
    # crowd these out (they were fetched oldest first, 30 at most).
    inbox = Folder.objects.get(mailbox__address=GP, role="inbox")
    other = MessageSummary.objects.filter(folder=inbox).first()
    assert other is not None
    for number in range(40):
        other.pk, other.uid, other.is_report = None, 10**6 + number, True
        other.in_reply_to, other.date = "<un-autre-message@medecin.mssante.test>", mine.date
        other.save()
    shown = client.get(f"/bal/{sent.mailbox_id}/dossier/{sent.pk}/message/{mine.uid}/").content.decode()
    assert f"Lu par {EDUCATOR}" in shown
    assert f"Remis à {EDUCATOR}" in shown  # Postfix's DSN after LMTP delivery


def integration_answer(*, reporter: str, to: str, original: str, disposition: str) -> bytes:
    """An MSSanté integration answer as a receiving software (DPI) sends it."""
    return (f"From: {reporter}\r\nTo: {to}\r\nSubject: Accusé de lecture\r\nMessage-ID: <{uuid.uuid4().hex}@x>\r\n"
            f"In-Reply-To: {original}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIntégration du document.\r\n"
            "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
            f"Reporting-UA: dpi.hopital.test\r\nFinal-Recipient: rfc822;{reporter}\r\n"
            f"Original-Message-ID: {original}\r\nDisposition: automatic-action/MDN-sent-automatically; "
            f"{disposition}\r\n--b--\r\n").encode()


@pytest.mark.requirement("IG.MDN.1")
def test_integration_answers_are_read_with_their_error_code() -> None:
    original = "<doc-1@medecin.mssante.test>"
    report = parse_report(integration_answer(reporter="dpi@hopital.test", to=GP, original=original,
                                             disposition="processed/Error: 904^INS non concordant"))
    assert report is not None and (report.outcome, report.error_code, report.error_label) == (
        "processed", "904", "INS non concordant")
    fine = parse_report(integration_answer(reporter="dpi@hopital.test", to=GP, original=original,
                                           disposition="processed"))
    assert fine is not None and (fine.outcome, fine.error_code) == ("processed", "")
    odd = parse_report(integration_answer(reporter="dpi@hopital.test", to=GP, original=original,
                                          disposition="processed/Error: patient^inconnu" + "x" * 5000))
    assert odd is not None and odd.error_code == "" and len(odd.error_label) <= 200


@pytest.mark.requirement("IG.MDN.1")
def test_integration_answers_in_the_v113_form_are_read_too() -> None:
    """Issue 25: since v1.1.3 of the ANS guide the MDN says "processed/error" and gives the
    code in a separate "Error:" field (the older form broke RFC 8098); both are read."""
    original = "<doc-2@medecin.mssante.test>"
    answer = integration_answer(reporter="dpi@hopital.test", to=GP, original=original,
                                disposition="processed/error").replace(
        b"\r\n--b--", b"\r\nError: 902^Patient inconnu\r\n--b--")
    report = parse_report(answer)
    assert report is not None and (report.outcome, report.error_code, report.error_label, report.failed) == (
        "processed", "902", "Patient inconnu", True)
    bare = parse_report(integration_answer(reporter="dpi@hopital.test", to=GP, original=original,
                                           disposition="processed/error"))
    assert bare is not None and (bare.error_code, bare.failed) == ("", True)  # failed, no code given
    fine = parse_report(integration_answer(reporter="dpi@hopital.test", to=GP, original=original,
                                           disposition="processed"))
    assert fine is not None and not fine.failed


@pytest.mark.parametrize(("disposition", "error_field", "shown_as"), [
    ("processed/Error: 904^INS non concordant", "", "l'INS du patient ne correspond pas (904)"),
    ("processed/error", "Error: 902^Patient inconnu", "patient inconnu (902)"),  # v1.1.3 (issue 25)
])
@pytest.mark.requirement("IG.MDN.1")
def test_an_integration_error_is_shown_in_french_on_the_sent_message(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None, disposition: str,
        error_field: str, shown_as: str) -> None:
    subject = f"CR de biologie DUPONT {uuid.uuid4().hex[:6]}"
    django_signin(client, "gp")
    client.post("/ecrire/", {"to": [EDUCATOR], "subject": subject, "body": "Ci-joint.", "read_receipt": "1"})
    outbox_send_pending()
    sent_id = OutboxMessage.objects.get(subject=subject).message_id
    # The recipient's software answers through the operator's SMTP (real Postfix, then LMTP).
    import smtplib
    import ssl

    from tests.conftest import ENV
    context = ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"])
    with smtplib.SMTP("127.0.0.1", int(ENV["MSSANTE_SMTP_INBOUND_PORT"]), timeout=10) as smtp:
        smtp.starttls(context=context)
        answer = integration_answer(reporter=EDUCATOR, to=GP, original=sent_id, disposition=disposition)
        if error_field:
            answer = answer.replace(b"\r\n--b--", f"\r\n{error_field}\r\n--b--".encode())
        smtp.sendmail(EDUCATOR, [GP], answer)
    assert wait_for_subject(GP, "INBOX", "Accusé de lecture")
    open_folder(client, GP, "inbox")
    sent = open_folder(client, GP, "sent")
    mine = MessageSummary.objects.get(folder=sent, subject=subject)
    shown = client.get(f"/bal/{sent.mailbox_id}/dossier/{sent.pk}/message/{mine.uid}/").content.decode()
    assert f"{EDUCATOR} n'a pas pu intégrer le document : {shown_as}" in shown.replace("&#x27;", "'")


@pytest.mark.parametrize(("integration", "shown_as"), [
    ("ok", "Document intégré par {who}"),
    ("904", "{who} n'a pas pu intégrer le document : l'INS du patient ne correspond pas (904)"),
])
@pytest.mark.requirement("IG.MDN.2", "ECO.3.1.6")
def test_answering_a_receipt_says_whether_the_document_was_integrated(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None, integration: str,
        shown_as: str) -> None:
    """Issue 25: the receipt of a received document can say "intégré", or why not with the
    agency's code (v1.1.3: "processed/error" and its own "Error:" field); what is sent is an
    MDN any client parses, and the sender's page says it in French."""
    subject = f"CR de biologie ROUX {uuid.uuid4().hex[:6]}"
    django_signin(client, "gp")
    client.post("/ecrire/", {"to": [EDUCATOR], "subject": subject, "body": "Ci-joint.", "read_receipt": "1"})
    outbox_send_pending()
    assert wait_for_subject(EDUCATOR, "INBOX", subject)
    other = navigating_client()
    django_signin(other, "educator")
    inbox = open_folder(other, EDUCATOR, "inbox")
    received = MessageSummary.objects.get(folder=inbox, subject=subject)
    url = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{received.uid}/"
    answer = other.post(url + "accuse/", {"action": "send", "integration": integration}, follow=True)
    assert "Accusé de lecture envoyé." in answer.content.decode()
    outbox_send_pending()
    assert wait_for_subject(GP, "INBOX", f"Accusé de lecture : {subject}")
    report = parse_report(raw_with_subject(GP, "INBOX", f"Accusé de lecture : {subject}", "BODY.PEEK[]"))
    assert report is not None and report.outcome == "processed"
    assert (report.error_code, report.failed) == (("", False) if integration == "ok" else ("904", True))
    open_folder(client, GP, "inbox")
    sent = open_folder(client, GP, "sent")
    mine = MessageSummary.objects.get(folder=sent, subject=subject)
    shown = client.get(f"/bal/{sent.mailbox_id}/dossier/{sent.pk}/message/{mine.uid}/").content.decode()
    assert shown_as.format(who=EDUCATOR) in shown.replace("&#x27;", "'")
