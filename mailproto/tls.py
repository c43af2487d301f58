"""TLS towards an MSSanté operator, as the référentiel asks (ECO.1.1.1–1.1.7).

- TLS 1.2 at least; on TLS 1.2 only the suites with forward secrecy and authenticated
  encryption (ECDHE/DHE with AES-GCM or ChaCha20-Poly1305, ANSSI's TLS guide): no CBC, no
  RSA key exchange, no SHA-1 MAC. TLS 1.3's suites are all of that kind.
- The server's certificate chains to the configured bundle only (IGC-Santé; the system
  store is not loaded when a bundle is given), is in its validity period, and, when a CRL
  file is given, is not revoked: OpenSSL then checks the leaf against the CRL of its issuer
  (and refuses when that CRL is missing or past its next update: fail closed).
Pure Python: the caller keeps the CRL file current (``apps.mail.revocation``).
"""

from __future__ import annotations

import ssl

TLS12_SUITES = (
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256",
)

# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) a user should hear about in words.
_REFUSALS = {10: "expired", 9: "not_yet_valid", 23: "revoked", 12: "crl_expired", 11: "crl_not_yet_valid",
             3: "crl_missing", 8: "crl_signature", 18: "untrusted", 19: "untrusted", 20: "untrusted",
             21: "untrusted", 2: "untrusted", 62: "wrong_host"}


def operator_context(ca_file: str | None, crl_file: str | None = None) -> ssl.SSLContext:
    """A client context for an operator's server; the caller adds its client certificate."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(":".join(TLS12_SUITES))
    if crl_file:
        context.load_verify_locations(cafile=crl_file)
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return context


def certificate_refusal(exc: BaseException | None) -> str | None:
    """Why the server's certificate was refused ("revoked", "expired", "untrusted",
    "crl_expired"…), found along ``exc``'s causes; None when the failure was not about the
    certificate (a server down, a reset)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return _REFUSALS.get(exc.verify_code, "untrusted")
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None
