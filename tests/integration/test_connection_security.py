"""Connections to the operator as the référentiel asks (ECO.1.0.1, 1.1.1–1.1.9): TLS 1.2 and
up with the allowed suites only, a server certificate in force and not revoked (the devstack
CA issues the CRL and revokes a server certificate), the last valid CRL kept when the source
fails, and the servers found from the domain's SRV records (dnsmasq on loopback)."""

from __future__ import annotations

import http.server
import logging
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.test import Client, override_settings

from apps.core.errors import OperatorCertificateRefused
from apps.mail.engine.access import operator_unavailable
from apps.mail.revocation import crl_file_current, crl_refresh
from devstack import stack
from mailproto.imap import ImapCredentials, ImapEndpoint, ImapUnavailable, imap_greeting_check
from mailproto.imap.client import AuthMode, tls_context
from mailproto.smtp import SmtpEndpoint, SmtpUnavailable, smtp_submit
from mailproto.tls import TLS12_SUITES, certificate_refusal
from tests.conftest import ENV, PORTS, PSCSim, imap_plain
from tests.integration.test_reader import open_inbox
from tests.tls_material import Authority, authority

pytestmark = pytest.mark.integration
GP = "claire.martin@medecin.mssante.test"
NURSE = "julien.petit@hopital.mssante.test"


@contextmanager
def tls_imap_server(chain: bytes, key: bytes, tmp_path: Path, *, ciphers: str | None = None,
                    maximum: ssl.TLSVersion | None = None) -> Iterator[int]:
    """A loopback server that completes a TLS handshake with ``chain`` and greets as IMAP."""
    (tmp_path / "server.pem").write_bytes(chain)
    (tmp_path / "server.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    if ciphers:
        context.set_ciphers(ciphers)
    if maximum:
        context.maximum_version = maximum
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready\r\n")
                    conn.settimeout(2)
                    while data := conn.recv(4096):
                        tag = data.split(b" ")[0]
                        upper = data.upper()
                        conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n" if b"LOGOUT" in upper else
                                     b"* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n" + tag + b" OK done\r\n"
                                     if b"CAPABILITY" in upper else tag + b" BAD no\r\n")
            except (OSError, ssl.SSLError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def devstack_ca() -> Authority:
    """The devstack's own CA (what Dovecot's certificate chains to), to issue and revoke."""
    tls = Path(ENV["MSSANTE_DEVSTACK_STATE"]) / "tls"
    return Authority(x509.load_pem_x509_certificate((tls / "ca.pem").read_bytes()),
                     load_pem_private_key((tls / "ca.key").read_bytes(), None))  # type: ignore[arg-type]


@pytest.mark.requirement("ECO.1.0.1")
def test_submission_goes_over_starttls_and_a_server_without_it_gets_nothing(psc_sim: PSCSim) -> None:
    subject = f"STARTTLS {uuid.uuid4().hex[:8]}"
    message = (f"From: {GP}\r\nTo: {NURSE}\r\nSubject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@t>\r\n"
               "\r\nbonjour\r\n").encode()
    smtp_submit(SmtpEndpoint("127.0.0.1", PORTS.submission, "starttls", ca_file=ENV["MSSANTE_TLS_CA_FILE"]),
                ImapCredentials(GP, AuthMode.XOAUTH2, psc_sim.mint("gp")), GP, [NURSE], message)
    client = imap_plain(NURSE)
    try:
        client.select_folder("INBOX")
        for _ in range(50):
            if client.search(["SUBJECT", subject]):
                break
            threading.Event().wait(0.1)
        assert client.search(["SUBJECT", subject])
    finally:
        client.logout()

    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def clear_smtp() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"220 clear ESMTP\r\n")
            conn.settimeout(3)
            try:
                while data := conn.recv(4096):
                    received.append(data)
                    conn.sendall(b"250-clear\r\n250 AUTH XOAUTH2 PLAIN\r\n" if data.upper().startswith(b"EHLO")
                                 else b"221 bye\r\n")
            except OSError:
                pass

    thread = threading.Thread(target=clear_smtp, daemon=True)
    thread.start()
    with pytest.raises(SmtpUnavailable, match="STARTTLS"):
        smtp_submit(SmtpEndpoint("127.0.0.1", listener.getsockname()[1], "starttls", timeout=3),
                    ImapCredentials(GP, AuthMode.XOAUTH2, "secret-token-value"), GP, [NURSE], message)
    thread.join(5)
    listener.close()
    assert not any(b"AUTH" in chunk.upper() or b"secret-token-value" in chunk for chunk in received)


@pytest.mark.requirement("ECO.1.1.1", "ECO.1.1.3")
def test_tls_1_2_at_least_with_forward_secret_aead_suites_only(tmp_path: Path) -> None:
    context = tls_context(ENV["MSSANTE_TLS_CA_FILE"])
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    tls12 = {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 and tls12 <= set(TLS12_SUITES)
    assert not any("CBC" in c["description"] or "Kx=RSA " in c["description"] for c in context.get_ciphers())
    # Against the real operator stack: the handshake lands on TLS 1.2+ and an allowed suite.
    with socket.create_connection(("127.0.0.1", PORTS.imaps), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as conn:
        assert conn.version() in ("TLSv1.2", "TLSv1.3")
        name, _, _ = conn.cipher()
        assert name in TLS12_SUITES or name.startswith("TLS_")
    # A server that offers only a CBC suite, or only TLS 1.1 and below, is refused.
    ca = authority()
    chain, key = ca.leaf()
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    endpoint = ImapEndpoint("127.0.0.1", 0, "ssl", ca_file=str(tmp_path / "ca.pem"), timeout=3)
    with tls_imap_server(chain, key, tmp_path, ciphers="ECDHE-ECDSA-AES128-SHA",
                         maximum=ssl.TLSVersion.TLSv1_2) as port, pytest.raises(ImapUnavailable):
        imap_greeting_check(ImapEndpoint(**{**vars(endpoint), "port": port}))
    with tls_imap_server(chain, key, tmp_path, maximum=ssl.TLSVersion.TLSv1_1) as port, \
            pytest.raises(ImapUnavailable):
        imap_greeting_check(ImapEndpoint(**{**vars(endpoint), "port": port}))
    with tls_imap_server(chain, key, tmp_path, ciphers="ECDHE-ECDSA-AES128-GCM-SHA256",
                         maximum=ssl.TLSVersion.TLSv1_2) as port:
        imap_greeting_check(ImapEndpoint(**{**vars(endpoint), "port": port}))  # the allowed suite passes


@pytest.mark.requirement("ECO.1.1.5")
def test_an_expired_operator_certificate_is_refused_and_said_so(tmp_path: Path) -> None:
    ca = authority()
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    chain, key = ca.leaf(expired=True)
    with tls_imap_server(chain, key, tmp_path) as port, pytest.raises(ImapUnavailable) as refused:
        imap_greeting_check(ImapEndpoint("127.0.0.1", port, "ssl", ca_file=str(tmp_path / "ca.pem"), timeout=3))
    assert certificate_refusal(refused.value) == "expired"
    error = operator_unavailable(refused.value)
    assert isinstance(error, OperatorCertificateRefused) and "a expiré" in _french(error.user_message)


def _french(message: str) -> str:
    from django.utils import translation

    with translation.override("fr"):
        return str(message)


@pytest.mark.requirement("ECO.1.1.6", "ECO.1.1.7")
def test_a_revoked_operator_certificate_is_refused_and_the_last_valid_crl_is_kept(
        client: Client, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """The devstack CA issues a server certificate, then a CRL without it, then one revoking
    it, published over http; a forged CRL and a source gone change nothing."""
    ca = devstack_ca()
    chain, key = ca.leaf()
    published = tmp_path / "published.crl"
    published.write_bytes(ca.crl())
    handler = type("Crl", (http.server.BaseHTTPRequestHandler,), {
        "do_GET": lambda self: (self.send_response(200), self.end_headers(),
                                self.wfile.write(published.read_bytes())),
        "log_message": lambda self, *a: None})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/igc-sante.crl"
    with override_settings(MSSANTE_TLS_CRL_URLS=[url], MSSANTE_TLS_CRL_DIR=str(tmp_path / "kept")), \
            tls_imap_server(chain, key, tmp_path / "") as port:
        endpoint = lambda: ImapEndpoint("127.0.0.1", port, "ssl", ca_file=ENV["MSSANTE_TLS_CA_FILE"],  # noqa: E731
                                        timeout=3, crl_file=crl_file_current())
        with pytest.raises(ImapUnavailable) as none_yet:  # fail closed before any CRL was kept
            imap_greeting_check(endpoint())
        assert certificate_refusal(none_yet.value) == "crl_missing"
        assert crl_refresh().kept == 1
        imap_greeting_check(endpoint())  # in force, not revoked: connects

        published.write_bytes(ca.crl(chain))
        assert crl_refresh().kept == 1
        with pytest.raises(ImapUnavailable) as revoked:
            imap_greeting_check(endpoint())
        assert certificate_refusal(revoked.value) == "revoked"

        # The site, on the message page: the French reason, a 503, nothing else tried.
        from django.core.cache import cache

        inbox = open_inbox(client)
        cache.clear()
        message = inbox.messages.order_by("-uid").first()
        inbox.mailbox.imap_port = port
        inbox.mailbox.save()
        response = client.get(f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{message.uid}/")
        assert response.status_code == 503
        assert "a été révoqué" in response.content.decode()

        # A CRL signed by another CA, then garbage, then the source down: the revoking CRL stays.
        caplog.set_level(logging.ERROR, logger="apps.mail.revocation")
        published.write_bytes(authority().crl())
        assert crl_refresh().failed == 1
        published.write_bytes(b"<html>maintenance</html>")
        assert crl_refresh().failed == 1
        server.shutdown()
        server.server_close()
        assert crl_refresh().failed == 1
        assert caplog.text.count("the last valid one is kept") == 3
        with pytest.raises(ImapUnavailable) as still:
            imap_greeting_check(endpoint())
        assert certificate_refusal(still.value) == "revoked"


@pytest.mark.requirement("ECO.1.1.9")
def test_the_servers_are_found_from_the_domains_srv_records(
        client: Client, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None,
        caplog: pytest.LogCaptureFixture) -> None:
    """No server configured: the GP's domain publishes _imaps._tcp and _submission._tcp
    (dnsmasq), and the site reads and sends through what they name."""
    from django.core.cache import cache

    cache.clear()
    caplog.set_level(logging.INFO, logger="apps.mail.endpoints")
    with override_settings(MSSANTE_IMAP_HOST="", MSSANTE_SMTP_HOST="", MSSANTE_IMAP_PORT=1,
                           MSSANTE_SMTP_PORT=1):
        inbox = open_inbox(client)  # the first sync, through the SRV-found server
        message = inbox.messages.order_by("-uid").first()
        page = client.get(f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{message.uid}/")
        assert page.status_code == 200
        assert f"servers of medecin.mssante.test found by DNS SRV: IMAP Service(host='localhost', " \
               f"port={PORTS.imaps}, security='ssl')" in caplog.text
        from apps.mail.endpoints import mailbox_smtp_endpoint

        smtp = mailbox_smtp_endpoint(mailbox=inbox.mailbox)
        assert (smtp.host, smtp.port, smtp.security) == ("localhost", PORTS.submission, "starttls")

        smtp_submit(smtp, ImapCredentials(GP, AuthMode.XOAUTH2, psc_sim.mint("gp")), GP, [NURSE],
                    f"From: {GP}\r\nTo: {NURSE}\r\nSubject: par SRV\r\n\r\nbonjour\r\n".encode())

        # A domain that publishes nothing: said in French, not a crash.
        from apps.mail.endpoints import ServersNotFound, mailbox_imap_endpoint
        from apps.mail.models import Mailbox

        with pytest.raises(ServersNotFound) as not_found:
            mailbox_imap_endpoint(mailbox=Mailbox.objects.get(address=NURSE))
        assert "enregistrements DNS SRV" in _french(not_found.value.user_message)
    assert stack.SRV_DOMAIN == "medecin.mssante.test"
