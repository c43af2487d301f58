"""The business tool writes through the API (issue 29), on the real stack: it sends a health
document to a colleague from the EHPAD's application mailbox (the site builds the CDA and
the IHE_XDM.zip, the worker sends through Postfix with the mailbox's certificate), then
follows it — delivered (Postfix's DSN), and the colleague's software refusing the document
with 902, in words —; it saves a draft; it writes for a professional with their PSC token,
from her own mailbox; and what compose refuses, the API refuses, in French, storing nothing."""

from __future__ import annotations

import base64
import email
import email.policy
import smtplib
import ssl
import uuid

import pytest
from django.test import Client

from apps.api.services import api_key_issue
from apps.audit.models import AuditEvent
from apps.documents.xdm import xdm_read
from apps.integration.models import IntegrationEndpoint, ToolMessage
from apps.mail.models import OutboxMessage
from tests.conftest import ENV, IDENTITIES, PSCSim, django_signin, navigating_client
from tests.integration.mail_server import outbox_send_pending, raw_with_subject, wait_for_subject
from tests.integration.test_business_software import DUI_BOX, GP, TEST_INS, dui
from tests.integration.test_receipts import integration_answer
from tests.unit.documents import builders

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
__all__ = ["dui"]  # the fixture, used by name
LEA = IDENTITIES["educator"]
# The colleague written to: a mailbox no other test counts the messages of.
COLLEAGUE = IDENTITIES["social"]["mailbox"]


def post(path: str, key: str, body: dict[str, object], token: str = "") -> tuple[int, dict[str, object]]:
    extra = {"HTTP_X_PSC_TOKEN": token} if token else {}
    response = Client().post(f"/api/v1{path}", body, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {key}", **extra)
    return response.status_code, response.json()


def get(path: str, key: str) -> tuple[int, dict[str, object]]:
    response = Client().get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {key}")
    return response.status_code, response.json()


def a_document(given: str) -> dict[str, object]:
    return {"pdf": base64.b64encode(builders.PAGE_PDF).decode(), "type_code": "11502-2", "title": "Bilan",
            "patient": {"ins": TEST_INS, "ins_kind": "TEST", "birth_name": "Dupont", "given_names": given,
                        "birth_date": "1979-03-28", "sex": "F", "birth_place": "51215"}}


def test_a_tool_sends_a_document_to_a_colleague_and_follows_it(client: Client, psc_sim: PSCSim,
                                                                dui: IntegrationEndpoint, trust_data: None) -> None:
    django_signin(client, "educator")  # Léa signed in once: a member of the EHPAD, an author
    ehpad = dui.mailbox.structure
    assert ehpad is not None
    api_client, key = api_key_issue(structure=ehpad, name="DUI des Glycines")
    given = "Api" + uuid.uuid4().hex[:4]
    status, sent = post("/messages", key, {
        "mailbox": DUI_BOX, "to": [COLLEAGUE], "body": "Bilan de la résidente.", "delivery_report": True,
        "author_idnat": LEA["idnat"], "document": a_document(given)})
    assert status == 201, sent
    subject = f"XDM/1.0/DDM+CR d'examens biologiques DUPONT {given} 28/03/1979"
    assert (sent["state"], sent["subject"], sent["mailbox"]) == ("queued", subject, DUI_BOX)
    outbox_send_pending()
    assert wait_for_subject(COLLEAGUE, "INBOX", subject, timeout=15)
    parsed = email.message_from_bytes(raw_with_subject(COLLEAGUE, "INBOX", subject),
                                      policy=email.policy.default)
    assert parsed["X-MSS-CODECDA"] and parsed["From"].addresses[0].addr_spec == DUI_BOX
    package = next(p.get_content() for p in parsed.iter_attachments() if p.get_filename() == "IHE_XDM.zip")
    cda = next(d.data for d in xdm_read(package).documents if d.path.lower().endswith(".xml"))
    assert TEST_INS.encode() in cda and LEA["idnat"].encode() in cda  # the patient, the author

    # The colleague's software refuses the document: the tool hears why, in words.
    context = ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"])
    with smtplib.SMTP("127.0.0.1", int(ENV["MSSANTE_SMTP_INBOUND_PORT"]), timeout=10) as smtp:
        smtp.starttls(context=context)
        answer = integration_answer(reporter=COLLEAGUE, to=DUI_BOX, original=str(sent["message_id"]),
                                    disposition="processed/error")
        smtp.sendmail(COLLEAGUE, [DUI_BOX], answer.replace(b"\r\n--b--", b"\r\nError: 902^Patient inconnu\r\n--b--"))
    assert wait_for_subject(DUI_BOX, "INBOX", "Accusé de lecture")
    status, state = get(f"/messages/{sent['id']}", key)
    assert status == 200 and state["state"] == "sent", state
    reports = {(r["state"], r["recipient"]): r for r in state["reports"]}  # type: ignore[union-attr]
    assert ("delivered", COLLEAGUE) in reports  # Postfix's DSN after LMTP delivery
    refused = reports[("integration_error", COLLEAGUE)]
    assert refused["code"] == "902"
    assert refused["detail"] == f"{COLLEAGUE} n'a pas pu intégrer le document : patient inconnu (902)"
    calls = AuditEvent.objects.filter(event="api_call", actor=f"api:{api_client.prefix}")
    assert calls.filter(target=f"message:{sent['id']}").count() == 2  # the sending, the question

    # A draft: in the mailbox's Drafts folder, for a person to finish.
    status, draft = post("/messages", key, {"mailbox": DUI_BOX, "to": [COLLEAGUE], "subject": f"Brouillon {given}",
                                            "body": "À compléter.", "draft": True})
    assert status == 201 and draft["state"] == "draft"
    assert raw_with_subject(DUI_BOX, "Drafts", f"Brouillon {given}")
    assert not OutboxMessage.objects.filter(subject=f"Brouillon {given}").exists()


def test_a_tool_writes_for_a_professional_with_her_psc_token(client: Client, psc_sim: PSCSim,
                                                             dui: IntegrationEndpoint, trust_data: None) -> None:
    django_signin(client, "educator")
    ehpad = dui.mailbox.structure
    assert ehpad is not None
    _api_client, key = api_key_issue(structure=ehpad, name="DUI des Glycines")
    subject = f"Pour M. Haddad {uuid.uuid4().hex[:6]}"
    status, sent = post("/messages", key, {"mailbox": LEA["mailbox"], "to": [COLLEAGUE], "subject": subject,
                                           "body": "Madame Dupont va mieux."}, token=psc_sim.mint("educator"))
    assert status == 201, sent
    row = ToolMessage.objects.get(pk=sent["id"])
    assert row.acting_idnat == LEA["idnat"] and row.outbox is not None and row.outbox.user is not None
    outbox_send_pending()  # the worker sends with her token (XOAUTH2), as for her own pages
    assert OutboxMessage.objects.get(pk=row.outbox.pk).status == "sent"
    assert wait_for_subject(COLLEAGUE, "INBOX", subject)
    assert wait_for_subject(LEA["mailbox"], "Sent", subject)

    # Without her token, her mailbox is not the tool's; another structure's professional is
    # not hers; a token PSC does not know is refused.
    status, answer = post("/messages", key, {"mailbox": LEA["mailbox"], "to": [GP], "body": "x"})
    assert (status, answer["code"]) == (400, "refused") and "X-PSC-Token" in str(answer["detail"])
    django_signin(navigating_client(), "gp")
    status, answer = post("/messages", key, {"mailbox": GP, "to": [LEA["mailbox"]], "body": "x"},
                          token=psc_sim.mint("gp"))
    assert (status, answer["detail"]) == (400, "Ce professionnel n'est pas membre de la structure de votre logiciel.")
    status, answer = post("/messages", key, {"mailbox": LEA["mailbox"], "to": [GP], "body": "x"},
                          token="pas-un-jeton")
    assert (status, answer["code"]) == (403, "psc_token_refused")
    assert "Pro Santé Connect" in str(answer["detail"])


def test_what_compose_refuses_the_api_refuses(psc_sim: PSCSim, dui: IntegrationEndpoint, trust_data: None) -> None:
    ehpad = dui.mailbox.structure
    assert ehpad is not None
    _api_client, key = api_key_issue(structure=ehpad, name="DUI des Glycines")
    before = OutboxMessage.objects.count(), ToolMessage.objects.count()
    status, answer = post("/messages", key, {"mailbox": DUI_BOX, "to": ["quelqu.un@gmail.com"], "body": "x"})
    assert status == 400 and "quelqu.un@gmail.com" in str(answer["detail"])
    status, answer = post("/messages", key, {"mailbox": DUI_BOX, "to": [f"{TEST_INS}@{ENV['MSSANTE_PATIENT_DOMAIN']}"],
                                             "body": "x"})
    assert status == 400 and "professionnel" in str(answer["detail"])
    status, answer = post("/messages", key, {"mailbox": DUI_BOX, "to": [GP], "document": a_document("Sans")})
    assert status == 400 and "author_idnat" in str(answer["detail"])
    document = a_document("Faux") | {"pdf": "pas du base64 !"}
    status, answer = post("/messages", key, {"mailbox": DUI_BOX, "to": [GP], "author_idnat": LEA["idnat"],
                                             "document": document})
    assert (status, answer["detail"]) == (400, "Le PDF doit être donné en base64.")
    status, answer = post("/messages", key, {"mailbox": "autre@ailleurs.mssante.test", "to": [GP], "body": "x"})
    assert status == 400 and "n'est pas une boîte de la structure" in str(answer["detail"])
    assert (OutboxMessage.objects.count(), ToolMessage.objects.count()) == before  # nothing stored


def test_a_cda_the_tool_built_leaves_only_if_the_agencys_checks_pass(psc_sim: PSCSim, dui: IntegrationEndpoint,
                                                                     trust_data: None) -> None:
    import dataclasses

    from apps.documents.produce import document_produce
    from tests.conftest import shared_fixture
    from tests.unit.documents.test_produce import REQUEST

    shared_fixture("cda", "ans-TestContenuCDA-3-0-validation")  # the agency's material judges
    ehpad = dui.mailbox.structure
    assert ehpad is not None
    _api_client, key = api_key_issue(structure=ehpad, name="DUI des Glycines")
    given = "Cda" + uuid.uuid4().hex[:4]
    patient = dataclasses.replace(REQUEST.patient, given_names=(given,))
    cda = document_produce(dataclasses.replace(REQUEST, patient=patient)).cda  # a CDA as a tool builds one
    status, sent = post("/messages", key, {"mailbox": DUI_BOX, "to": [COLLEAGUE], "body": "Ci-joint.",
                                           "cda": base64.b64encode(cda).decode()})
    assert status == 201, sent
    subject = f"XDM/1.0/DDM+CR d'examens biologiques DUPONT {given} 28/03/1979"
    assert sent["subject"] == subject
    outbox_send_pending()
    assert wait_for_subject(COLLEAGUE, "INBOX", subject, timeout=15)
    parsed = email.message_from_bytes(raw_with_subject(COLLEAGUE, "INBOX", subject), policy=email.policy.default)
    attached = {p.get_filename(): p.get_content() for p in parsed.iter_attachments()}
    assert [d.data for d in xdm_read(attached["IHE_XDM.zip"]).documents if d.path.endswith(".XML")] == [cda]
    assert any(name.endswith(".pdf") for name in attached)  # its PDF beside, under the ECO.2.1.6 name

    broken = cda.replace(b'<title>', b'<titre>').replace(b'</title>', b'</titre>')
    before = OutboxMessage.objects.count()
    status, answer = post("/messages", key, {"mailbox": DUI_BOX, "to": [GP], "cda": base64.b64encode(broken).decode()})
    assert (status, answer["code"]) == (400, "cda_refused")
    assert "ne passe pas les contrôles de l'agence" in str(answer["detail"]) and answer["findings"]
    assert OutboxMessage.objects.count() == before
