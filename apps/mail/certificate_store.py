"""Where an application mailbox's uploaded certificate is opened for a TLS handshake
(``mailbox_certificate_pem``, read by ``selectors.mailbox_imap_credentials``); written by
``services.certificates``."""

from __future__ import annotations

import logging

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings

from apps.core.crypto import fernet_cipher
from apps.core.errors import MailAuthError

from .models import Mailbox

logger = logging.getLogger(__name__)


def certificate_cipher() -> MultiFernet:
    return fernet_cipher(keys=settings.MSSANTE_CERT_KEYS, purpose="client-cert-key")


def mailbox_certificate_pem(*, mailbox: Mailbox) -> bytes:
    """The mailbox's key and certificate, decrypted for a TLS handshake; b"" when none
    was uploaded. A ciphertext no key opens is an authentication error, logged."""
    sealed = bytes(mailbox.client_certificate or b"")
    if not sealed:
        return b""
    try:
        return bytes(certificate_cipher().decrypt(sealed))
    except InvalidToken as exc:
        logger.error("client certificate of %s cannot be decrypted (MSSANTE_CERT_KEYS changed?)",
                     mailbox.address)
        raise MailAuthError(f"{mailbox.address}: certificate undecryptable") from exc


def certificates_rekey() -> tuple[int, list[str]]:
    """Every uploaded certificate encrypted again under the newest of MSSANTE_CERT_KEYS (the
    others still decrypt): after it, an old key can leave the list without breaking an
    application mailbox. Returns how many were re-encrypted and the addresses no key opens
    (left as they are, logged)."""
    cipher = certificate_cipher()
    done, unreadable = 0, []
    stored = Mailbox.objects.exclude(client_certificate=b"").only("pk", "address", "client_certificate")
    for mailbox in stored:
        try:
            fresh = cipher.rotate(bytes(mailbox.client_certificate))
        except InvalidToken:
            logger.error("client certificate of %s: no key of MSSANTE_CERT_KEYS opens it", mailbox.address)
            unreadable.append(mailbox.address)
            continue
        Mailbox.objects.filter(pk=mailbox.pk).update(client_certificate=fresh)
        done += 1
    logger.info("%d client certificate(s) re-encrypted under the newest key", done)
    return done, unreadable
