"""An application mailbox's client certificate uploaded as PKCS#12 in the admin (issue 15):
superuser only, checked against its passphrase, stored encrypted, never shown back, and
then the mailbox signs in to the real Dovecot with it (SASL EXTERNAL) from memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.mail.models import Folder, Mailbox
from apps.mail.services import mail_access_for_certificate, mailbox_sync
from devstack import stack
from tests.conftest import ENV

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
PASSPHRASE = "Glycines-2026!"


def lab_p12(address: str) -> bytes:
    """The devstack's certificate for the lab mailbox, as an operator would hand it over."""
    certs = Path(ENV["MSSANTE_CLIENT_CERT_DIR"])
    key = serialization.load_pem_private_key((certs / f"{address}.key").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((certs / f"{address}.pem").read_bytes())
    return pkcs12.serialize_key_and_certificates(
        b"lab", key, cert, None, serialization.BestAvailableEncryption(PASSPHRASE.encode()))  # type: ignore[arg-type]


def test_a_p12_uploaded_in_the_admin_signs_the_mailbox_in(devstack: dict[str, str]) -> None:
    address = stack.IDENTITIES["application_mailboxes"][0]["address"]
    lab = Mailbox.objects.create(address=address, kind=Mailbox.Kind.APPLICATION,
                                 auth_mode=Mailbox.AuthMode.PSC_XOAUTH2)
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("exploitant", "ops@example.test", "x" * 20))
    url = reverse("admin:mail_mailbox_change", args=[lab.pk])
    form = {"address": address, "kind": "APP", "auth_mode": "psc_xoauth2", "display_name": "Laboratoire",
            "delegations-TOTAL_FORMS": "0", "delegations-INITIAL_FORMS": "0"}
    refused = root.post(url, {**form, "certificate_p12": SimpleUploadedFile("lab.p12", lab_p12(address)),
                              "certificate_passphrase": "wrong"})
    assert refused.status_code == 200 and "phrase secrète" in refused.content.decode()
    lab.refresh_from_db()
    assert not bytes(lab.client_certificate)

    saved = root.post(url, {**form, "certificate_p12": SimpleUploadedFile("lab.p12", lab_p12(address)),
                            "certificate_passphrase": PASSPHRASE})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    lab.refresh_from_db()
    sealed = bytes(lab.client_certificate)
    assert sealed and b"PRIVATE KEY" not in sealed and PASSPHRASE.encode() not in sealed
    assert lab.auth_mode == Mailbox.AuthMode.CLIENT_CERTIFICATE and not lab.client_cert_file
    assert lab.client_certificate_subject.startswith("CN=") and lab.client_certificate_expires
    page = root.get(url).content.decode()
    assert lab.client_certificate_subject in page  # what it is, shown
    assert PASSPHRASE not in page and "PRIVATE KEY" not in page  # never the secret
    event = AuditEvent.objects.filter(event="certificate_changed", mailbox=address).get()
    assert event.actor == "exploitant" and event.outcome == "uploaded"

    mailbox_sync(access=mail_access_for_certificate(mailbox=lab, pooled=False))
    assert Folder.objects.get(mailbox=lab, name="INBOX").last_sync_at is not None
