#!/usr/bin/env python3
"""Start, stop and describe the local MSSanté-like operator stack.

Everything binds to 127.0.0.1 and lives in a git-ignored state folder
(``.devstack/<profile>/``), so the ``demo`` and ``test`` profiles can run side by side
and never touch /etc or the machine's own daemons. Daemons are tracked by the PID files
they write themselves (not by the PID of a subshell), as the devstack notes advise.

Usage: ``python devstack/stack.py start|stop|status|env [--profile demo|test]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parent.parent
DEVSTACK = ROOT / "devstack"
IDENTITIES = json.loads((DEVSTACK / "identities.json").read_text(encoding="utf-8"))
CLIENT_ID = "mssante-web"
CLIENT_SECRET = "devstack-secret-not-for-production"  # noqa: S105 - loopback simulator only
DEV_PASSWORD = "devstack"  # noqa: S105 - PLAIN login exists for the devstack only


@dataclass(frozen=True)
class Ports:
    imap: int
    imaps: int
    smtp_in: int
    submission: int
    submissions: int
    redis: int
    psc: int
    postgres: int
    sieve: int  # ManageSieve (RFC 5804), for the out-of-office reply
    dns: int  # dnsmasq: the mailbox domains' SRV records (RFC 6186 autoconfiguration)
    dui: int  # the EHPAD's business software stand-in (HL7 MLLP)


PROFILES = {
    "demo": Ports(imap=10143, imaps=10993, smtp_in=10025, submission=10587, submissions=10465,
                  redis=16379, psc=18080, postgres=15432, sieve=14190, dns=10053, dui=10575),
    "test": Ports(imap=11143, imaps=11993, smtp_in=11025, submission=11587, submissions=11465,
                  redis=17379, psc=19080, postgres=16432, sieve=14191, dns=11053, dui=11575),
    # A stack started from another checkout by the test suite (tests/integration/test_devstack.py).
    "probe": Ports(imap=12143, imaps=12993, smtp_in=12025, submission=12587, submissions=12465,
                   redis=18379, psc=20080, postgres=17432, sieve=14192, dns=12053, dui=12575),
}


def state_dir(profile: str) -> Path:
    return ROOT / ".devstack" / profile


def runtime_dir(profile: str) -> Path:
    """Unix sockets (and Dovecot's pid file) under a short path: a socket's path may not pass
    107 bytes, and a checkout may live deep in a CI workspace. One per checkout and profile,
    named by a hash of the checkout's path."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path("/tmp") / f"mssweb-{digest}-{profile}"


def issuer(ports: Ports) -> str:
    return f"http://127.0.0.1:{ports.psc}/auth/realms/esante-wallet"


def all_mail_users() -> list[str]:
    users = [i["mailbox"] for i in IDENTITIES["identities"]]
    users += [a["address"] for a in IDENTITIES["application_mailboxes"]]
    users += [m["address"] for m in IDENTITIES["shared_mailboxes"]]
    users += [f"{p['ins']}@{IDENTITIES['patient_domain']}" for p in IDENTITIES["patients"]]
    users += [t["address"] for t in IDENTITIES.get("technical_mailboxes", [])]
    return users + watch_bench_users()


# bench/newmail.py: the watcher's memory at 200 watched INBOXes (the first 200);
# bench/scale.py: 2,000 watched over two shards.
WATCH_BENCH_MAILBOXES = 2000


def watch_bench_users() -> list[str]:
    return [f"veille-{n:03d}@medecin.mssante.test" for n in range(WATCH_BENCH_MAILBOXES)]  # 000…1999


def env_vars(profile: str) -> dict[str, str]:
    """The environment the Django site needs to talk to this stack."""
    ports = PROFILES[profile]
    state = state_dir(profile)
    iss = issuer(ports)
    return {
        "MSSANTE_DEVSTACK_PROFILE": profile,
        "MSSANTE_DEVSTACK_STATE": str(state),
        "MSSANTE_IMAP_HOST": "127.0.0.1",
        "MSSANTE_DNS_SERVER": f"127.0.0.1:{ports.dns}",
        "MSSANTE_DEVSTACK_DUI": f"127.0.0.1:{ports.dui}",
        "MSSANTE_IMAP_PORT": str(ports.imaps),
        "MSSANTE_IMAP_STARTTLS_PORT": str(ports.imap),
        "MSSANTE_SMTP_HOST": "127.0.0.1",
        "MSSANTE_SMTP_PORT": str(ports.submission),
        "MSSANTE_SMTPS_PORT": str(ports.submissions),
        "MSSANTE_SMTP_INBOUND_PORT": str(ports.smtp_in),
        "MSSANTE_SIEVE_PORT": str(ports.sieve),
        "MSSANTE_TLS_CA_FILE": str(state / "tls" / "ca.pem"),
        "MSSANTE_CLIENT_CERT_DIR": str(state / "tls" / "clients"),
        "REDIS_URL": f"redis://127.0.0.1:{ports.redis}/0",
        # The issuer only: endpoints come from its discovery document, as in production.
        "MSSANTE_PSC_ISSUER": iss,
        "MSSANTE_PSC_CLIENT_ID": CLIENT_ID,
        "MSSANTE_PSC_CLIENT_SECRET": CLIENT_SECRET,
        "MSSANTE_PSC_SIM_ADMIN": f"http://127.0.0.1:{ports.psc}/_sim",
        "MSSANTE_DEVSTACK_PASSWORD": DEV_PASSWORD,
        # How a delegate's login names the shared mailbox (write_operator_links).
        "MSSANTE_DELEGATE_LOGIN": "{mailbox}*{idnat}",
        "MSSANTE_NIL": "mssante-web-devstack",
        # With DEBUG off (the tests), what the fail-closed checks would refuse and a
        # development stack has by nature: a loopback http provider and operator, a
        # development NIL and PLAIN logins, test domains on top of the whitelist, and its
        # own CA standing in for IGC-Santé.
        "DJANGO_SILENCED_SYSTEM_CHECKS": "mssante.E002,mssante.E003,mssante.E004,mssante.W005,mssante.E010",
        # The site itself uses SQLite in the devstack; PostgreSQL (production's database)
        # runs beside it for the tests and benchmarks that must hold on both.
        "MSSANTE_DEVSTACK_POSTGRES_URL": f"postgres://mssante@127.0.0.1:{ports.postgres}/mssante",
        "MSSANTE_PATIENT_DOMAIN": IDENTITIES["patient_domain"],
        "MSSANTE_ALLOW_TEST_INS": "1",
        # No network here: the whitelist comes from a local file, the test domains on top.
        "MSSANTE_WHITELIST_URL": str(DEVSTACK / "data" / "listeblanche-devstack.xml"),
        "MSSANTE_EXTRA_TRUSTED_DOMAINS": ",".join(
            d for d in IDENTITIES["domains"] if d != IDENTITIES["patient_domain"]),
        "MSSANTE_ANNUAIRE_URL": str(state / "annuaire" / "Extraction_Correspondance_MSSante.txt"),
    }


# ---------------------------------------------------------------- certificates

def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o640)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mssante-web devstack"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certificates(tls: Path) -> None:
    """A test CA, a server certificate for loopback and one client cert per app mailbox.

    The CA stands in for IGC-Santé, which public trust stores do not carry either: the
    client must be told which CA bundle to trust, exactly as in production.
    """
    if (tls / "server.pem").exists():
        client_certificates_complete(tls)
        return
    tls.mkdir(parents=True, exist_ok=True)
    (tls / "clients").mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    later = now + dt.timedelta(days=3650)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("mssante-web devstack CA")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    (tls / "ca.pem").write_bytes(ca_pem)
    _write_key(tls / "ca.key", ca_key)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())

    def leaf(cn: str, server: bool) -> tuple[bytes, rsa.RSAPrivateKey]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(later)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(aki, critical=False))
        if server:
            import ipaddress
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        else:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM), key

    cert, key = leaf("localhost", server=True)
    (tls / "server.pem").write_bytes(cert + ca_pem)
    _write_key(tls / "server.key", key)
    for app in IDENTITIES["application_mailboxes"]:
        cert, key = leaf(app["address"], server=False)
        (tls / "clients" / f"{app['address']}.pem").write_bytes(cert)
        _write_key(tls / "clients" / f"{app['address']}.key", key)
    # Dovecot with ssl_require_crl wants a CRL for every CA it verifies clients against.
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca_name)
           .last_update(now).next_update(later).sign(ca_key, hashes.SHA256()))
    (tls / "ca-with-crl.pem").write_bytes(ca_pem + crl.public_bytes(serialization.Encoding.PEM))
    # Dovecot's and Postfix's unprivileged processes read these after dropping root.
    for path in tls.rglob("*"):
        shutil.chown(path, group="mail")
        path.chmod(0o750 if path.is_dir() else 0o640)
    tls.chmod(0o755)


def client_certificates_complete(tls: Path) -> None:
    """A stack made before an application mailbox was added gets its certificate too."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    missing = [a["address"] for a in IDENTITIES["application_mailboxes"]
               if not (tls / "clients" / f"{a['address']}.pem").exists()]
    if not missing:
        return
    ca = x509.load_pem_x509_certificate((tls / "ca.pem").read_bytes())
    ca_key = load_pem_private_key((tls / "ca.key").read_bytes(), None)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    for address in missing:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (x509.CertificateBuilder().subject_name(_name(address)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),  # type: ignore[arg-type]
                               critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
        (tls / "clients" / f"{address}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(tls / "clients" / f"{address}.key", key)
        for path in (tls / "clients" / f"{address}.pem", tls / "clients" / f"{address}.key"):
            shutil.chown(path, group="mail")
            path.chmod(0o640)


def make_psc_keys(state: Path) -> None:
    """The simulator's RS256 signing key, and another one tests use to forge tokens."""
    keys = state / "psc"
    keys.mkdir(parents=True, exist_ok=True)
    for name in ("signing.key", "foreign.key"):
        if not (keys / name).exists():
            _write_key(keys / name, rsa.generate_private_key(public_exponent=65537, key_size=2048))


# ---------------------------------------------------------------- config files

def render(template: str, **values: object) -> str:
    text = (DEVSTACK / "templates" / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    if "{{" in text:
        raise SystemExit(f"{template}: unreplaced placeholder")
    return text


def write_dovecot(profile: str, state: Path, ports: Ports) -> Path:
    dov = state / "dovecot"
    dov.mkdir(parents=True, exist_ok=True)
    run = runtime_dir(profile) / "dovecot"
    run.mkdir(parents=True, exist_ok=True)
    run.parent.chmod(0o755)
    (state / "mail").mkdir(exist_ok=True)
    shutil.chown(state / "mail", user="mail", group="mail")
    lines = []
    for user in all_mail_users():
        home = state / "mail" / user.split("@")[1] / user.split("@")[0]
        lines.append(f"{user}:{{PLAIN}}{DEV_PASSWORD}:8:8::{home}::")
    (dov / "users").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_operator_links(dov)
    # Dovecot's oauth2 local validation looks keys up as <prefix>/<azp>/<alg>/<kid>.
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    private = load_pem_private_key((state / "psc" / "signing.key").read_bytes(), None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for azp in (CLIENT_ID, "default"):
        d = dov / "oauth2-keys" / azp / "RS256"
        d.mkdir(parents=True, exist_ok=True)
        (d / "psc-sim-1").write_bytes(public_pem)
    for name, attribute in (("oauth2.conf.ext", "email"), ("oauth2-delegate.conf.ext", "SubjectNameID")):
        (dov / name).write_text(render(
            "dovecot-oauth2.conf.ext", keys=dov / "oauth2-keys", client_id=CLIENT_ID,
            issuer=issuer(ports), username_attribute=attribute), encoding="utf-8")
    conf = dov / "dovecot.conf"
    conf.write_text(render(
        "dovecot.conf", instance=f"mssante-{profile}", base_dir=run, state=state,
        dov=dov, run=run, tls=state / "tls", imap_port=ports.imap, imaps_port=ports.imaps,
        sieve_port=ports.sieve, smtp_in_port=ports.smtp_in,
        log=state / "log" / "dovecot.log"), encoding="utf-8")
    for path in [dov, *dov.rglob("*"), run]:
        if path.is_dir():
            path.chmod(0o755)
    return conf


def operator_links() -> list[tuple[str, str]]:
    """(shared mailbox, idNat) pairs: which professionals the operator lets open which
    organisational mailbox with their own PSC token."""
    idnats = {i["key"]: i["idnat"] for i in IDENTITIES["identities"]}
    return [(m["address"], idnats[key])
            for m in IDENTITIES["shared_mailboxes"] for key in m["operator_links"]]


def write_operator_links(dov: Path) -> None:
    """The operator's side of delegation. A real operator decides from the idNat in the
    token which mailboxes it opens; Dovecot 2.3 compares one token claim with the login name,
    so the stack uses master-user logins, ``<mailbox>*<idNat>``: the token must carry that
    idNat (oauth2-delegate.conf.ext) and this file must list the pair. Its password is never
    checked (the master passdb authenticated) but must not be guessable either."""
    lines = [f"{mailbox}/{idnat}:{{PLAIN}}{secrets.token_hex(16)}::::::"
             for mailbox, idnat in operator_links()]
    (dov / "operator-links").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_certificate_senders(pf: Path, tls: Path) -> str:
    """Application mailboxes submit with their client certificate: its SHA-256 fingerprint
    lets the client in, and a restriction class per mailbox lets it send only as itself."""
    clients, senders, classes = [], [], []
    for number, app in enumerate(IDENTITIES["application_mailboxes"]):
        pem = (tls / "clients" / f"{app['address']}.pem").read_bytes()
        digest = x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256()).hex().upper()
        fingerprint = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
        clients.append(f"{fingerprint} OK\n")
        senders.append(f"{fingerprint} app_sender_{number}\n")
        (pf / f"app_sender_{number}").write_text(f"{app['address']} OK\n", encoding="utf-8")
        classes.append(f"app_sender_{number} = check_sender_access texthash:{pf}/app_sender_{number}, reject")
    (pf / "ccert_clients").write_text("".join(clients), encoding="utf-8")
    (pf / "ccert_senders").write_text("".join(senders), encoding="utf-8")
    return (f"smtpd_restriction_classes = {', '.join(c.split(' = ')[0] for c in classes)}\n"
            + "".join(c + "\n" for c in classes))


def write_postfix(profile: str, state: Path, ports: Ports) -> Path:
    pf = state / "postfix"
    pf.mkdir(parents=True, exist_ok=True)
    queue = runtime_dir(profile) / "postfix"  # its public/ and private/ hold unix sockets
    queue.mkdir(parents=True, exist_ok=True)
    queue.parent.chmod(0o755)
    (pf / "data").mkdir(exist_ok=True)
    shutil.chown(pf / "data", user="postfix", group="postfix")
    domains = IDENTITIES["domains"]
    users = all_mail_users()
    (pf / "vmailbox").write_text("".join(f"{u} OK\n" for u in users), encoding="utf-8")
    (pf / "senders").write_text("".join(f"{u} {u}\n" for u in users), encoding="utf-8")
    app_classes = write_certificate_senders(pf, state / "tls")
    (pf / "main.cf").write_text(render(
        "postfix-main.cf", pf=pf, queue=queue, state=state, run=runtime_dir(profile), tls=state / "tls",
        domains=", ".join(domains), app_classes=app_classes,
        log=state / "log" / "postfix.log", profile=profile), encoding="utf-8")
    (pf / "master.cf").write_text(render(
        "postfix-master.cf", smtp_in=ports.smtp_in, submission=ports.submission,
        submissions=ports.submissions, pf=pf), encoding="utf-8")
    return pf


# ---------------------------------------------------------------- processes

def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_ports(ports: list[int], what: str, timeout: float = 20.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(port_open(p) for p in ports):
            return
        time.sleep(0.1)
    tail = ""
    if log and log.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    raise SystemExit(f"{what} did not open ports {ports} within {timeout:.0f} s\n{tail}")


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    # A daemon we spawned ourselves (the simulator) lingers as a zombie until reaped.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        state = ""
    if state == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return None
    return pid


def spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # Daemons must not inherit our stdout/stderr, or a captured caller waits for EOF forever.
    out = open(log, "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True, cwd=ROOT)


def pid_files(profile: str) -> dict[str, Path]:
    state = state_dir(profile)
    return {
        "dovecot": runtime_dir(profile) / "dovecot" / "master.pid",
        "postfix": runtime_dir(profile) / "postfix" / "pid" / "master.pid",
        "redis": state / "redis" / "redis.pid",
        "psc": state / "psc" / "psc.pid",
        "postgres": state / "postgres" / "data" / "postmaster.pid",
        "dns": state / "dns" / "dnsmasq.pid",
        "dui": state / "dui" / "dui.pid",
    }


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise SystemExit("PostgreSQL server binaries missing: run devstack/install.sh")
    return str(found[-1])


def start_postgres(profile: str, state: Path, ports: Ports) -> None:
    """A throwaway cluster owned by the postgres user, trust auth on loopback only."""
    pg = state / "postgres"
    data = pg / "data"
    sockets = runtime_dir(profile) / "postgres"
    pg.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(parents=True, exist_ok=True)
    shutil.chown(pg, user="postgres", group="postgres")
    shutil.chown(sockets, user="postgres", group="postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"]
    if not (data / "PG_VERSION").exists():
        subprocess.run([*as_postgres, _pg_bin("initdb"), "-D", str(data), "-U", "mssante",
                        "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], check=True,
                       stdin=subprocess.DEVNULL, capture_output=True)
    subprocess.run([*as_postgres, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(pg / "postgres.log"),
                    "-o", f"-p {ports.postgres} -k {sockets} -c listen_addresses=127.0.0.1 "
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                    "start"], check=True, stdin=subprocess.DEVNULL, capture_output=True)
    for _ in range(100):
        ready = subprocess.run([_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(ports.postgres)],
                               capture_output=True)
        if ready.returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(ports.postgres), "-U",
                    "mssante", "mssante"], capture_output=True)  # exists already: fine


# The GP's domain publishes SRV records; the other domains of the stack publish none (the
# server answers "no such name" for them: a site must then be told where their servers are).
SRV_DOMAIN = "medecin.mssante.test"


def srv_records(ports: Ports) -> list[str]:
    """RFC 6186 records, as MSSanté operators may publish them, for the domain the tests
    look up: implicit TLS IMAP and both submission ports (RFC 8314), on this stack."""
    return [f"_imaps._tcp.{SRV_DOMAIN},localhost,{ports.imaps},0,10",
            f"_imap._tcp.{SRV_DOMAIN},localhost,{ports.imap},10,10",
            f"_submission._tcp.{SRV_DOMAIN},localhost,{ports.submission},0,10",
            f"_submissions._tcp.{SRV_DOMAIN},.,0,0,0"]  # "." = not offered (RFC 6186 §3.4)


def start_dns(state: Path, ports: Ports, pid_file: Path, log: Path) -> None:
    """dnsmasq on loopback, answering only for the stack's SRV records (no upstream)."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dnsmasq", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
                    "--bind-interfaces", "--listen-address=127.0.0.1", f"--port={ports.dns}",
                    "--user=root", f"--pid-file={pid_file}", f"--log-facility={log}", "--log-queries",
                    "--local-ttl=60", "--local=/mssante.test/",
                    *[f"--srv-host={record}" for record in srv_records(ports)]],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


INOTIFY_INSTANCES = 8192


def raise_inotify_limit() -> None:
    """Every IDLE connection's imap process watches its mailbox with an inotify instance,
    all under the one "mail" uid, and Linux allows 128 per user by default: past that,
    Dovecot falls back to looking every 30 s (its log: "Inotify instance limit for user 8
    exceeded"), and new mail waits up to 30 s (bench/scale.py's 2,000 watched INBOXes).
    Raised when this machine lets us (root, /proc/sys writable); said otherwise."""
    knob = Path("/proc/sys/fs/inotify/max_user_instances")
    try:
        if int(knob.read_text()) < INOTIFY_INSTANCES:
            knob.write_text(str(INOTIFY_INSTANCES))
    except OSError as exc:
        print(f"devstack: fs.inotify.max_user_instances not raised ({exc}): past 128 IDLE "
              "connections, Dovecot notices new mail every 30 s only", file=sys.stderr)


def start(profile: str) -> None:
    started = time.monotonic()
    ports = PROFILES[profile]
    state = state_dir(profile)
    (state / "log").mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)
    for parent in state.parents:
        if parent == ROOT.parent:
            break
        parent.chmod(parent.stat().st_mode | 0o055)
    make_certificates(state / "tls")
    make_psc_keys(state)
    pids = pid_files(profile)
    logs = state / "log"

    if not read_pid(pids["redis"]):
        (state / "redis").mkdir(exist_ok=True)
        subprocess.run(["redis-server", "--bind", "127.0.0.1", "--port", str(ports.redis),
                        "--dir", str(state / "redis"), "--save", "", "--appendonly", "no",
                        "--daemonize", "yes", "--pidfile", str(pids["redis"]),
                        "--logfile", str(logs / "redis.log"), "--protected-mode", "yes"],
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    if not read_pid(pids["psc"]):
        env = dict(os.environ, **env_vars(profile), AUTHLIB_INSECURE_TRANSPORT="1")
        proc = spawn([sys.executable, str(DEVSTACK / "psc_sim" / "app.py"),
                      "--port", str(ports.psc), "--state", str(state)], logs / "psc.log", env)
        pids["psc"].write_text(str(proc.pid))

    if not read_pid(pids["dovecot"]):
        raise_inotify_limit()
        conf = write_dovecot(profile, state, ports)
        subprocess.run(["dovecot", "-c", str(conf)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=open(logs / "dovecot-start.log", "ab"))

    if not read_pid(pids["postfix"]):
        pf = write_postfix(profile, state, ports)
        env = dict(os.environ, MAIL_CONFIG=str(pf))
        # Postfix reports configuration errors only to a terminal: `script` gives it one.
        check = subprocess.run(["script", "-qec", f"postfix -c {pf} check", "/dev/null"],
                               env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if check.returncode != 0 or "fatal" in check.stdout:
            raise SystemExit(f"postfix check failed:\n{check.stdout}")
        spawn(["/usr/lib/postfix/sbin/master", "-w", "-c", str(pf)], logs / "postfix-master.log",
              env)

    if not read_pid(pids["postgres"]):
        start_postgres(profile, state, ports)

    if not read_pid(pids["dns"]):
        start_dns(state, ports, pids["dns"], logs / "dns.log")

    if not read_pid(pids["dui"]):
        (state / "dui").mkdir(exist_ok=True)
        proc = spawn([sys.executable, str(DEVSTACK / "dui_sim.py"), "--port", str(ports.dui),
                      "--state", str(state / "dui")], logs / "dui.log", dict(os.environ))
        pids["dui"].write_text(str(proc.pid))

    wait_ports([ports.redis], "redis", log=logs / "redis.log")
    wait_ports([ports.psc], "PSC simulator", log=logs / "psc.log")
    wait_ports([ports.imap, ports.imaps, ports.sieve], "dovecot", log=logs / "dovecot.log")
    wait_ports([ports.smtp_in, ports.submission, ports.submissions], "postfix",
               log=logs / "postfix.log")
    wait_ports([ports.postgres], "postgres", log=state / "postgres" / "postgres.log")
    wait_ports([ports.dns], "dnsmasq", log=logs / "dns.log")
    wait_ports([ports.dui], "DUI stand-in", log=logs / "dui.log")
    print(f"devstack '{profile}' up in {time.monotonic() - started:.1f} s; logs in {logs}")


def stop(profile: str) -> None:
    state = state_dir(profile)
    if not state.exists():
        return
    pids = pid_files(profile)
    pf = state / "postfix"
    if read_pid(pids["postfix"]):
        subprocess.run(["postfix", "-c", str(pf), "stop"], env=dict(os.environ, MAIL_CONFIG=str(pf)),
                       stdin=subprocess.DEVNULL, capture_output=True)
    conf = state / "dovecot" / "dovecot.conf"
    if read_pid(pids["dovecot"]) and conf.exists():
        subprocess.run(["doveadm", "-c", str(conf), "stop"], stdin=subprocess.DEVNULL,
                       capture_output=True)
    for name in ("redis", "psc", "dns", "dui"):
        pid = read_pid(pids[name])
        if pid:
            os.kill(pid, signal.SIGTERM)
    if read_pid(pids["postgres"]):
        subprocess.run(["runuser", "-u", "postgres", "--", _pg_bin("pg_ctl"), "-D",
                        str(state / "postgres" / "data"), "-m", "fast", "stop"],
                       stdin=subprocess.DEVNULL, capture_output=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(read_pid(p) for p in pids.values()):
        time.sleep(0.1)
    for name, path in pids.items():
        pid = read_pid(path)
        if pid:
            os.kill(pid, signal.SIGKILL)
            print(f"{name} killed after 10 s")
    print(f"devstack '{profile}' stopped")


def status_quiet(profile: str) -> bool:
    """True when every daemon of the profile is already running."""
    return all(read_pid(path) for path in pid_files(profile).values())


def status(profile: str) -> int:
    code = 0
    for name, path in pid_files(profile).items():
        pid = read_pid(path)
        print(f"{name:8} {'running, pid ' + str(pid) if pid else 'stopped'}")
        code |= 0 if pid else 1
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "restart", "status", "env"])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="demo")
    args = parser.parse_args()
    if args.command == "start":
        start(args.profile)
    elif args.command == "stop":
        stop(args.profile)
    elif args.command == "restart":
        stop(args.profile)
        start(args.profile)
    elif args.command == "status":
        return status(args.profile)
    elif args.command == "env":
        for key, value in env_vars(args.profile).items():
            print(f"export {key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
