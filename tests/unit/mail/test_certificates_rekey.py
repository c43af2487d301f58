"""Key rotation for client certificates is real (issue 27, point 8): nothing re-encrypted a
certificate under a new key, so removing the old key silently broke application mailboxes.
``manage.py certificates_rekey`` re-encrypts every one under the newest key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.core.errors import MailAuthError
from apps.mail.certificate_store import certificate_cipher, mailbox_certificate_pem
from apps.mail.models import Mailbox

pytestmark = pytest.mark.django_db
PEM = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n"


def test_rekeying_lets_the_old_key_go(settings: object) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MSSANTE_CERT_KEYS = [old]  # type: ignore[attr-defined]
    box = Mailbox.objects.create(address="labo@hopital.mssante.test",
                                 client_certificate=certificate_cipher().encrypt(PEM))
    settings.MSSANTE_CERT_KEYS = [new, old]  # type: ignore[attr-defined]
    call_command("certificates_rekey")
    settings.MSSANTE_CERT_KEYS = [new]  # type: ignore[attr-defined]
    box.refresh_from_db()
    assert mailbox_certificate_pem(mailbox=box) == PEM  # opens without the old key


def test_a_certificate_no_key_opens_is_named(settings: object) -> None:
    settings.MSSANTE_CERT_KEYS = [Fernet.generate_key().decode()]  # type: ignore[attr-defined]
    box = Mailbox.objects.create(address="labo@hopital.mssante.test",
                                 client_certificate=certificate_cipher().encrypt(PEM))
    settings.MSSANTE_CERT_KEYS = [Fernet.generate_key().decode()]  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="labo@hopital.mssante.test"):
        call_command("certificates_rekey")
    with pytest.raises(MailAuthError):
        mailbox_certificate_pem(mailbox=box)
