"""Drafts: autosaved to the IMAP Drafts folder, one version at a time, resumed, removed
when the message is sent."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from apps.mail import services
from apps.mail.models import Folder, Mailbox, MessageSummary
from tests.conftest import IDENTITIES, PSCSim, django_signin, imap_plain
from tests.integration.mail_server import uids_with_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
GP = IDENTITIES["gp"]["mailbox"]


def drafts_on_server(subject: str) -> list[int]:
    return uids_with_subject(GP, "Drafts", subject)


def test_autosave_replaces_resumes_and_disappears_on_send(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                          trust_data: None) -> None:
    django_signin(client, "gp")
    client.get("/", follow=True)
    subject = f"Brouillon {uuid.uuid4().hex[:6]}"
    first = client.post("/ecrire/brouillon/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject,
                                                "body": "première version"}).json()
    assert first["draft_uid"] and drafts_on_server(subject) == [first["draft_uid"]]
    second = client.post("/ecrire/brouillon/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject,
                                                 "body": "seconde version", "draft_uid": first["draft_uid"]}).json()
    assert drafts_on_server(subject) == [second["draft_uid"]]  # one version, not two
    box = imap_plain(GP)
    box.select_folder("Drafts", readonly=True)
    flags = box.get_flags([second["draft_uid"]])[second["draft_uid"]]
    box.logout()
    assert b"\\Draft" in flags
    mailbox = Mailbox.objects.get(address=GP)
    from apps.accounts.services import psc_access_token_get

    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox, token_provider=lambda force: psc_access_token_get(
        session=client.session, force_refresh=force)))
    drafts = Folder.objects.get(mailbox=mailbox, role="drafts")
    assert MessageSummary.objects.filter(folder=drafts, subject=subject).count() == 1
    resumed = client.get("/ecrire/", {"mode": "draft", "origine": f"{mailbox.pk}:{drafts.pk}:{second['draft_uid']}"})
    page = resumed.content.decode()
    assert f'value="{subject}"' in page and "seconde version" in page
    assert f'name="draft_uid" id="draft-uid" value="{second["draft_uid"]}"' in page
    client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject, "body": "envoyé",
                             "draft_uid": second["draft_uid"]})
    assert drafts_on_server(subject) == []


def test_a_draft_with_attachments_over_the_operator_limit_is_refused_with_the_reason(
        client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None, settings: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MSSANTE_MAX_MESSAGE_SIZE = 3000  # type: ignore[attr-defined]
    django_signin(client, "gp")
    client.get("/", follow=True)
    subject = f"Brouillon trop lourd {uuid.uuid4().hex[:6]}"
    big = SimpleUploadedFile("scanner.pdf", b"%PDF" + b"x" * 4000, content_type="application/pdf")
    answer = client.post("/ecrire/brouillon/", {"subject": subject, "body": "texte", "attachments": [big]})
    assert answer.status_code == 413 and "votre opérateur accepte" in answer.json()["error"]
    assert drafts_on_server(subject) == []  # nothing half-stored
    small = SimpleUploadedFile("note.txt", b"ok", content_type="text/plain")
    saved = client.post("/ecrire/brouillon/", {"subject": subject, "body": "texte", "attachments": [small]}).json()
    assert drafts_on_server(subject) == [saved["draft_uid"]]
    assert [a["filename"] for a in saved["attachments"]] == ["note.txt"]  # now lives in the draft


def test_a_draft_this_session_never_saved_nor_opened_is_left_alone(client: Client, psc_sim: PSCSim,
                                                                    demo_accounts: None, trust_data: None) -> None:
    """Issue 27, point 6: ``draft_uid`` came from the POST and was trusted: anyone who may
    send from a mailbox (a send-delegate of a shared one) could name a colleague's draft and
    have it expunged, with no audit event and nothing in the Trash."""
    from tests.integration.mail_server import append

    subject = f"Brouillon d'un collègue {uuid.uuid4().hex[:6]}"
    colleague_draft = append(GP, folder="Drafts", flags=(b"\\Draft",), subject=subject)
    django_signin(client, "gp")
    client.get("/", follow=True)
    saved = client.post("/ecrire/brouillon/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": "Le mien",
                                                "body": "x", "draft_uid": colleague_draft}).json()
    client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": "Le mien", "body": "envoyé",
                             "draft_uid": colleague_draft})
    assert drafts_on_server(subject) == [colleague_draft]  # neither replaced nor removed
    assert saved["draft_uid"] != colleague_draft
