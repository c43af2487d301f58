"""Certificate revocation lists of the operators' CAs, read and checked before use
(ECO.1.1.6–1.1.7). Pure Python: the caller fetches and keeps them.

A CRL is kept only when one of the trusted CAs signed it and it is in force (this update
past, next update ahead); otherwise the caller keeps the last valid one it has. CRLs come
over plain http from IGC-Santé: their signature is their proof."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

CRL_MAX_BYTES = 20 * 1024 * 1024  # IGC-Santé's largest CRLs are a few MB


class CrlRefused(ValueError):
    """Not a CRL, not signed by a trusted CA, or not in force."""


@dataclass(frozen=True, slots=True)
class Crl:
    issuer: str  # RFC 4514
    next_update: dt.datetime
    revoked: int
    pem: bytes


def crl_read(*, data: bytes, trusted_pem: bytes, now: dt.datetime) -> Crl:
    """``data`` (PEM or DER) checked against the CAs of ``trusted_pem``."""
    if len(data) > CRL_MAX_BYTES:
        raise CrlRefused(f"larger than {CRL_MAX_BYTES} bytes")
    try:
        crl = (x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----BEGIN")
               else x509.load_der_x509_crl(data))
        authorities = x509.load_pem_x509_certificates(trusted_pem)
    except ValueError as exc:
        raise CrlRefused(f"unreadable: {exc}") from exc
    issuers = [ca for ca in authorities if ca.subject == crl.issuer]
    if not any(_signed_by(crl, ca) for ca in issuers):
        raise CrlRefused(f"not signed by a trusted CA ({crl.issuer.rfc4514_string()})")
    next_update = crl.next_update_utc
    if crl.last_update_utc > now + dt.timedelta(minutes=5):
        raise CrlRefused(f"issued in the future ({crl.last_update_utc:%Y-%m-%d %H:%M})")
    if next_update is None or next_update <= now:
        raise CrlRefused(f"past its next update ({next_update:%Y-%m-%d %H:%M})" if next_update
                         else "no next update")
    return Crl(issuer=crl.issuer.rfc4514_string(), next_update=next_update, revoked=len(crl),
               pem=crl.public_bytes(serialization.Encoding.PEM))


def _signed_by(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
