"""Documents handed to the EHPAD's business software (issue 29), through the real stack: a
message with an IHE_XDM.zip reaches the EHPAD's application mailbox over SMTP; after its sync,
the DUI stand-in (devstack/dui_sim.py, the hl7 package's MLLP server) receives one MDM^T02 per
document, whose OBX decodes to the exact CDA and whose PID carries the INS; the sender gets
the read receipt "processed", or "patient inconnu (902)" when the software refuses; a software
down then back receives every document once."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
import uuid
from pathlib import Path

import hl7
import pytest
from django.test import Client

from apps.integration.models import DocumentDelivery, HandedMessage, IntegrationEndpoint
from apps.integration.services import integration_run
from apps.mail import services
from apps.mail.models import Mailbox
from devstack import stack
from tests.conftest import ENV, IDENTITIES, PORTS, PSCSim, django_signin, navigating_client
from tests.integration.mail_server import outbox_send_pending, wait_for_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
DUI_BOX = "dossiers@ehpad.mssante.test"
GP = IDENTITIES["gp"]["mailbox"]
STATE = Path(ENV["MSSANTE_DEVSTACK_STATE"]) / "dui"


def received() -> list[dict[str, str]]:
    path = STATE / "received.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


TEST_INS = "279035121518989"  # a test INS (its OID says so), accepted by the devstack


@pytest.fixture
def dui(demo_accounts: None) -> IntegrationEndpoint:
    """The EHPAD's link as the demo sets it; its first look marks what is already there (not
    handed over: a new link starts from now). The software accepts everything."""
    (STATE / "answers.json").write_text("{}")
    (STATE / "stall.json").unlink(missing_ok=True)
    box = Mailbox.objects.get(address=DUI_BOX)
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    endpoint = IntegrationEndpoint.objects.get(mailbox=box)
    assert endpoint.checked_uid is not None and not HandedMessage.objects.filter(endpoint=endpoint).exists()
    return endpoint


def send_document(client: Client, *, receipt: bool = True) -> tuple[str, bytes]:
    """The GP sends a biology report as a health document (the site builds the CDA and the
    package) to the EHPAD's application mailbox; returns its subject and the CDA's bytes."""
    import email
    import email.policy

    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.documents.xdm import xdm_read
    from tests.integration.mail_server import raw_with_subject
    from tests.unit.documents import builders

    given = "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:6]).capitalize()  # a name per send
    django_signin(client, "gp")
    sent = client.post("/ecrire/", {
        "to": [DUI_BOX], "subject": "", "body": "Ci-joint le compte rendu.",
        "read_receipt": "1" if receipt else "", "doc_type": "11502-2", "doc_title": "Bilan",
        "doc_ins": TEST_INS, "doc_ins_kind": "TEST", "doc_birth_name": "Dupont", "doc_given_names": given,
        "doc_birth_date": "1979-03-28", "doc_sex": "F", "doc_birth_place": "51215",
        "doc_pdf": SimpleUploadedFile("bilan.pdf", builders.PAGE_PDF, "application/pdf")})
    assert sent.status_code == 302, sent.content.decode()[:3000]
    subject = f"XDM/1.0/DDM+CR d'examens biologiques DUPONT {given} 28/03/1979"
    outbox_send_pending()
    assert wait_for_subject(DUI_BOX, "INBOX", subject, timeout=15)
    raw = raw_with_subject(GP, "Sent", subject)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    package = next(p.get_content() for p in parsed.iter_attachments() if p.get_filename() == "IHE_XDM.zip")
    return subject, next(d.data for d in xdm_read(package).documents if d.path.lower().endswith(".xml"))


def sync_and_hand_over(endpoint: IntegrationEndpoint) -> None:
    box = Mailbox.objects.get(address=DUI_BOX)
    services.mailbox_sync(access=services.MailAccess(mailbox=box))  # the INBOX rule notes the message
    integration_run(endpoint_id=endpoint.pk)


@pytest.mark.requirement("IG.MDN.2")
def test_each_document_reaches_the_software_and_the_sender_hears_back(client: Client, psc_sim: PSCSim,
                                                                       dui: IntegrationEndpoint,
                                                                       trust_data: None) -> None:
    before = len(received())
    subject, cda = send_document(client)
    sync_and_hand_over(dui)
    got = received()[before:]
    assert len(got) == 1
    message = hl7.parse(got[0]["message"])
    assert str(message.segment("MSH")(9)) == "MDM^T02^MDM_T02"
    assert str(message.segment("PID")(3)).startswith(TEST_INS + "^^^&")
    assert base64.b64decode(str(message.segment("OBX")(5)).split("^")[4]) == cda  # the exact CDA
    delivery = DocumentDelivery.objects.get(message__endpoint=dui, message__subject=subject)
    assert delivery.state == "accepted"
    outbox_send_pending()  # the read receipt, "processed"
    assert wait_for_subject(GP, "INBOX", f"Accusé de lecture : {subject}", timeout=15)
    # The EHPAD's director, who reads the mailbox, sees that the software has it.
    director = navigating_client()
    django_signin(director, "director")
    handed = HandedMessage.objects.get(pk=delivery.message_id)
    page = director.get(f"/bal/{dui.mailbox_id}/dossier/{handed.folder_id}/message/{handed.uid}/")
    assert f"« {delivery.title} » intégré dans DUI des Glycines (démo)" in page.content.decode()

    # The software refuses this patient: the sender's sent message says why, in words.
    (STATE / "answers.json").write_text(json.dumps({TEST_INS: "902"}))
    subject, _cda = send_document(client)
    sync_and_hand_over(dui)
    refused = DocumentDelivery.objects.get(message__endpoint=dui, message__subject=subject)
    assert (refused.state, refused.error_code) == ("refused", "902")
    outbox_send_pending()
    assert wait_for_subject(GP, "INBOX", f"Accusé de lecture : {subject}", timeout=15)
    from apps.mail.models import Folder, MessageSummary

    gp = Mailbox.objects.get(address=GP)
    services.mailbox_sync(access=services.MailAccess(mailbox=gp, token_provider=lambda force: psc_sim.mint("gp")))
    sent = MessageSummary.objects.get(folder__mailbox=gp, folder__role=Folder.Role.SENT, subject=subject)
    page = client.get(f"/bal/{gp.pk}/dossier/{sent.folder_id}/message/{sent.uid}/").content.decode()
    assert f"{DUI_BOX} n'a pas pu intégrer le document : patient inconnu (902)" in page.replace("&#x27;", "'")

    # The EHPAD registers the patient in its software, then hands the document over again.
    (STATE / "answers.json").write_text("{}")
    director = navigating_client()
    django_signin(director, "director")
    handed = HandedMessage.objects.get(pk=refused.message_id)
    url = f"/bal/{dui.mailbox_id}/dossier/{handed.folder_id}/message/{handed.uid}/"
    assert "Transmettre de nouveau à DUI des Glycines (démo)" in director.get(url).content.decode()
    before = len(received())
    assert director.post(url + "logiciel/").status_code == 302
    integration_run(endpoint_id=dui.pk)
    again = DocumentDelivery.objects.get(pk=refused.pk)
    assert again.state == "accepted" and again.control_id != refused.control_id
    assert [r["control_id"] for r in received()[before:]] == [again.control_id]


def test_a_software_down_then_back_gets_every_document_once(client: Client, psc_sim: PSCSim,
                                                            dui: IntegrationEndpoint, trust_data: None) -> None:
    pid_file = stack.pid_files("test")["dui"]
    os.kill(int(pid_file.read_text()), signal.SIGTERM)
    time.sleep(0.5)
    try:
        before = len(received())
        subject, _cda = send_document(client, receipt=False)
        sync_and_hand_over(dui)
        delivery = DocumentDelivery.objects.get(message__endpoint=dui, message__subject=subject)
        assert delivery.state == "pending" and delivery.attempts == 1 and "ConnectionRefused" in delivery.last_error
        integration_run(endpoint_id=dui.pk)  # too early: the backoff holds it
        assert DocumentDelivery.objects.get(pk=delivery.pk).attempts == 1
    finally:
        stack.start("test")  # the software back
    DocumentDelivery.objects.filter(pk=delivery.pk).update(next_try_at=None)
    integration_run(endpoint_id=dui.pk)
    integration_run(endpoint_id=dui.pk)  # nothing due any more: nothing sent again
    assert [r["control_id"] for r in received()[before:]] == [delivery.control_id]
    assert DocumentDelivery.objects.get(pk=delivery.pk).state == "accepted"
    assert HandedMessage.objects.get(pk=delivery.message_id).state == "answered"
    assert PORTS.dui


@pytest.mark.requirement("IG.MDN.2")
def test_a_package_nothing_can_be_read_from_is_answered_906_at_once(psc_sim: PSCSim, dui: IntegrationEndpoint,
                                                                   trust_data: None) -> None:
    """A broken CDA in the package: nothing is handed to the software, and the sender's
    read receipt says so at once (906, "the package could not be read"), not never."""
    import io
    import smtplib
    import ssl
    import zipfile
    from email.message import EmailMessage

    from mailproto.mime.receipts import parse_report
    from tests.integration.mail_server import raw_with_subject

    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("IHE_XDM/SUBSET01/METADATA.XML", "<SubmitObjectsRequest/>")
        archive.writestr("IHE_XDM/SUBSET01/DOC0001.XML", "<ClinicalDocument xmlns='urn:hl7-org:v3'><oups")
    subject = f"XDM/1.0/DDM+Compte rendu {uuid.uuid4().hex[:6]}"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = GP, DUI_BOX, subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@medecin.mssante.test>"
    message["Disposition-Notification-To"] = GP
    message.set_content("Ci-joint.")
    message.add_attachment(package.getvalue(), maintype="application", subtype="zip", filename="IHE_XDM.zip")
    context = ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"])
    with smtplib.SMTP("127.0.0.1", int(ENV["MSSANTE_SMTP_INBOUND_PORT"]), timeout=10) as smtp:
        smtp.starttls(context=context)
        smtp.send_message(message)
    assert wait_for_subject(DUI_BOX, "INBOX", subject)
    before = len(received())
    sync_and_hand_over(dui)
    handed = HandedMessage.objects.get(endpoint=dui, subject=subject)
    assert handed.state == "answered" and not handed.documents.exists()
    assert len(received()) == before  # nothing reached the software
    outbox_send_pending()
    assert wait_for_subject(GP, "INBOX", f"Accusé de lecture : {subject}", timeout=15)
    report = parse_report(raw_with_subject(GP, "INBOX", f"Accusé de lecture : {subject}"))
    assert report is not None and (report.error_code, report.failed) == ("906", True)
    assert report.original_message_id == message["Message-ID"]
