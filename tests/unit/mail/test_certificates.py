"""PKCS#12 client certificates read and refused (pure code)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from mailproto.certificates import P12_MAX_BYTES, CertificateUnreadable, p12_read


def make_p12(passphrase: str, cn: str = "laboratoire@hopital.mssante.test") -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return pkcs12.serialize_key_and_certificates(b"lab", key, cert, None, encryption)


def test_a_p12_gives_its_key_and_certificate_as_pem() -> None:
    read = p12_read(make_p12("s3cret à accents"), "s3cret à accents")
    assert read.pem.startswith(b"-----BEGIN PRIVATE KEY-----") and b"BEGIN CERTIFICATE" in read.pem
    assert read.subject == "CN=laboratoire@hopital.mssante.test"
    assert 364 <= (read.not_after - dt.datetime.now(dt.UTC)).days <= 365
    assert "PRIVATE" not in repr(read) and "BEGIN" not in repr(read)


@pytest.mark.parametrize("data, passphrase", [
    (b"", "x"), (b"not a p12 at all", "x"), (b"\x30" * (P12_MAX_BYTES + 1), "x")])
def test_what_is_not_a_p12_is_refused(data: bytes, passphrase: str) -> None:
    with pytest.raises(CertificateUnreadable):
        p12_read(data, passphrase)


def test_a_wrong_passphrase_is_refused() -> None:
    with pytest.raises(CertificateUnreadable):
        p12_read(make_p12("right"), "wrong")
