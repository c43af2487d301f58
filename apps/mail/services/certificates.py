"""An application mailbox's client certificate, uploaded by a superuser as PKCS#12 with its
passphrase: checked, then kept encrypted (MSSANTE_CERT_KEYS); the passphrase is not kept,
the key never leaves the server nor shows in a page, and the IMAP, SMTP and ManageSieve
clients load it from memory (``imap.client.tls_context``)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.audit.services import audit_log
from apps.core.errors import ApplicationError
from mailproto.certificates import CertificateUnreadable, p12_read

from ..certificate_store import certificate_cipher
from ..models import Mailbox

logger = logging.getLogger(__name__)
CERTIFICATE_REFUSED = _("This file could not be opened with this passphrase: check both (a .p12 or .pfx file "
                        "holding the key and the certificate).")


def mailbox_certificate_set(*, mailbox: Mailbox, p12: bytes, passphrase: str, by: Any,
                            client_ip: str = "") -> None:
    """Check the PKCS#12 file opens with the passphrase, then keep its key and certificate
    encrypted on the mailbox, which then signs in with it (SASL EXTERNAL)."""
    try:
        certificate = p12_read(p12, passphrase)
    except CertificateUnreadable as exc:
        logger.warning("client certificate for %s refused: %s", mailbox.address, exc)
        raise ApplicationError(str(exc), user_message=str(CERTIFICATE_REFUSED)) from exc
    mailbox.client_certificate = certificate_cipher().encrypt(certificate.pem)
    mailbox.client_certificate_subject = certificate.subject
    mailbox.client_certificate_expires = certificate.not_after
    mailbox.auth_mode = Mailbox.AuthMode.CLIENT_CERTIFICATE
    mailbox.save(update_fields=["client_certificate", "client_certificate_subject",
                                "client_certificate_expires", "auth_mode"])
    audit_log(event="certificate_changed", actor=getattr(by, "idnat", "") or getattr(by, "username", ""),
              mailbox=mailbox.address, target=certificate.subject, outcome="uploaded",
              structure_id=mailbox.structure_id, client_ip=client_ip,
              expires=certificate.not_after.isoformat())
