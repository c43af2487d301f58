"""Certificates made on the spot for tests: a CA named like IGC-Santé's (or not), leaves it
signs, CRLs it issues. Made with ``cryptography``, as the devstack makes its own."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

IGC_SANTE_ROOT = "AC RACINE IGC-SANTE FORT"


def _name(common_name: str, unit: str = "IGC-SANTE", organisation: str = "ASIP-SANTE") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Authority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def leaf(self, host: str = "localhost", *, days: int = 30, expired: bool = False) -> tuple[bytes, bytes]:
        """A server certificate for ``host`` (and 127.0.0.1): PEM chain and PEM key."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        start, end = (now - dt.timedelta(days=10), now - dt.timedelta(days=1)) if expired else (
            now - dt.timedelta(minutes=5), now + dt.timedelta(days=days))
        certificate = (
            x509.CertificateBuilder().subject_name(_name(host, unit="SERVEURS", organisation="OPERATEUR"))
            .issuer_name(self.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, hashes.SHA256()))
        return (certificate.public_bytes(serialization.Encoding.PEM) + self.pem,
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    def crl(self, *revoked_pems: bytes, next_update_in: dt.timedelta = dt.timedelta(days=7)) -> bytes:
        now = dt.datetime.now(dt.UTC)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject)
                   .last_update(now - dt.timedelta(minutes=5)).next_update(now + next_update_in))
        for pem in revoked_pems:
            serial = x509.load_pem_x509_certificate(pem).serial_number
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def authority(common_name: str = IGC_SANTE_ROOT, *, unit: str = "IGC-SANTE",
              organisation: str = "ASIP-SANTE") -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = _name(common_name, unit, organisation)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256()))
    return Authority(certificate, key)
