"""IMAP authentication against the real Dovecot, as an MSSanté operator would enforce it."""

from __future__ import annotations

import socket
import threading

import pytest

from devstack import stack
from mailproto.imap import (
    AuthMode,
    ImapAuthError,
    ImapCredentials,
    ImapEndpoint,
    ImapUnavailable,
    imap_connect,
)
from mailproto.imap.session import ImapSession
from tests.conftest import ENV, IDENTITIES, PORTS, PSCSim

pytestmark = pytest.mark.integration
GP = IDENTITIES["gp"]["mailbox"]


def endpoint(security: str = "ssl") -> ImapEndpoint:
    port = PORTS.imaps if security == "ssl" else PORTS.imap
    return ImapEndpoint("127.0.0.1", port, security, ca_file=ENV["MSSANTE_TLS_CA_FILE"], timeout=5)


@pytest.mark.requirement("ECO.1.2.1")
def test_xoauth2_with_a_fresh_simulator_token_reads_the_seeded_inbox(
        psc_sim: PSCSim, seeded_mail: None) -> None:
    session = ImapSession(imap_connect(endpoint(), ImapCredentials(GP, AuthMode.XOAUTH2, psc_sim.mint("gp"))))
    try:
        session.examine("INBOX")
        subjects = [m.subject for m in session.summaries(session.uids())]
    finally:
        session.close()
    assert "Question sur mon traitement après ma sortie" in subjects
    assert any(s.startswith("XDM/1.0/DDM+Compte rendu de biologie") for s in subjects)


@pytest.mark.requirement("ECO.1.0.2")
def test_oauthbearer_and_starttls_work_too(psc_sim: PSCSim) -> None:
    client = imap_connect(endpoint("starttls"),
                          ImapCredentials(GP, AuthMode.OAUTHBEARER, psc_sim.mint("gp")))
    try:
        assert client.has_capability("QRESYNC") and client.has_capability("SPECIAL-USE")
        roles = {flag for flags, _, _ in client.list_folders() for flag in flags}
        assert {b"\\Sent", b"\\Drafts", b"\\Trash", b"\\Archive", b"\\Junk"} <= roles
    finally:
        client.logout()


@pytest.mark.parametrize("options", [{"lifetime": -60}, {"sign_with": "foreign"},
                                     {"client_id": "another-client"}])
def test_expired_foreign_or_misaddressed_tokens_are_refused(psc_sim: PSCSim, options: dict) -> None:
    token = psc_sim.mint("gp", **options)
    with pytest.raises(ImapAuthError):
        imap_connect(endpoint(), ImapCredentials(GP, AuthMode.XOAUTH2, token))


def test_a_token_only_opens_its_own_mailbox(psc_sim: PSCSim) -> None:
    token = psc_sim.mint("nurse")
    with pytest.raises(ImapAuthError):
        imap_connect(endpoint(), ImapCredentials(GP, AuthMode.XOAUTH2, token))


def test_external_with_a_client_certificate(devstack: dict[str, str]) -> None:
    address = stack.IDENTITIES["application_mailboxes"][0]["address"]
    certs = ENV["MSSANTE_CLIENT_CERT_DIR"]
    credentials = ImapCredentials(address, AuthMode.EXTERNAL, cert_file=f"{certs}/{address}.pem",
                                  key_file=f"{certs}/{address}.key")
    client = imap_connect(endpoint(), credentials)
    try:
        assert client.select_folder("INBOX")[b"UIDVALIDITY"]
    finally:
        client.logout()
    with pytest.raises(ImapAuthError):  # no certificate: EXTERNAL is not possible
        imap_connect(endpoint(), ImapCredentials(address, AuthMode.EXTERNAL))


def test_server_down_is_unavailable_not_a_crash() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(ImapUnavailable):
        imap_connect(ImapEndpoint("127.0.0.1", free_port, "ssl", timeout=2),
                     ImapCredentials(GP, AuthMode.XOAUTH2, "x"))


@pytest.mark.requirement("ECO.1.1.10")
def test_untrusted_server_certificate_is_refused(psc_sim: PSCSim) -> None:
    """Without the operator's CA bundle the public store cannot verify the server."""
    with pytest.raises(ImapUnavailable):
        imap_connect(ImapEndpoint("127.0.0.1", PORTS.imaps, "ssl", ca_file=None, timeout=5),
                     ImapCredentials(GP, AuthMode.XOAUTH2, psc_sim.mint("gp")))


@pytest.mark.requirement("ECO.1.0.2")
def test_never_sends_credentials_without_tls() -> None:
    """Dovecot treats 127.0.0.1 as secure and would accept a login in clear: the client
    itself must refuse a server that does not offer STARTTLS, before sending anything."""
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def fake_imap() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2] ready\r\n")
            conn.settimeout(2)
            try:
                while chunk := conn.recv(4096):
                    received.append(chunk)
                    tag = chunk.split(b" ")[0]
                    if b"CAPABILITY" in chunk:
                        conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2\r\n"
                                     + tag + b" OK done\r\n")
                    else:
                        conn.sendall(tag + b" OK done\r\n")
            except OSError:
                pass

    thread = threading.Thread(target=fake_imap, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    with pytest.raises(ImapUnavailable, match="STARTTLS"):
        imap_connect(ImapEndpoint("127.0.0.1", port, "starttls", timeout=2),
                     ImapCredentials(GP, AuthMode.XOAUTH2, "secret-token-value"))
    thread.join(3)
    server.close()
    assert b"secret-token-value" not in b"".join(received)
    assert not any(b"AUTHENTICATE" in c or b"LOGIN" in c for c in received)
