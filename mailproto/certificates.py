"""Client certificates of application mailboxes, as operators deliver them: a PKCS#12 file
(IGC-Santé) and its passphrase. Pure Python: read and checked here, kept by the caller
encrypted as one PEM blob (certificate chain and key) that ``tls_context`` loads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

P12_MAX_BYTES = 64 * 1024  # a certificate, its chain and a key: a few KB


class CertificateUnreadable(ValueError):
    """Not a PKCS#12 file, a wrong passphrase, or no key and certificate inside."""


@dataclass(frozen=True)
class ClientCertificate:
    pem: bytes  # the key, the certificate, then its chain: what ssl's load_cert_chain reads
    subject: str
    not_after: dt.datetime

    def __repr__(self) -> str:  # never the key in a log line or a traceback
        return f"ClientCertificate(subject={self.subject!r}, not_after={self.not_after:%Y-%m-%d})"


def p12_read(data: bytes, passphrase: str) -> ClientCertificate:
    """The key and certificate of a PKCS#12 file, as PEM; ``CertificateUnreadable`` when it
    cannot be opened with this passphrase or holds no key and certificate."""
    if not data or len(data) > P12_MAX_BYTES:
        raise CertificateUnreadable("empty or too large for a certificate file")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, passphrase.encode() or None)
    except (ValueError, TypeError) as exc:
        raise CertificateUnreadable(f"not a PKCS#12 file this passphrase opens: {exc}") from exc
    if key is None or certificate is None:
        raise CertificateUnreadable("the file holds no key and certificate")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    for cert in (certificate, *(chain or ())):
        pem += cert.public_bytes(serialization.Encoding.PEM)
    return ClientCertificate(pem=pem, subject=certificate.subject.rfc4514_string()[:300],
                             not_after=certificate.not_valid_after_utc)



def bundle_subjects(pem: bytes) -> list[str]:
    """The subjects (RFC 4514) of every certificate of a PEM bundle; ``CertificateUnreadable``
    when a block is not a certificate."""
    from cryptography import x509

    try:
        return [c.subject.rfc4514_string() for c in x509.load_pem_x509_certificates(pem)]
    except ValueError as exc:
        raise CertificateUnreadable(str(exc)) from exc
