"""The README's operator steps, done as an operator would, from the source tree: a site
brought up against the devstack with environment variables only (no settings file, no
code), through the container's own entrypoint (migrate, first superuser, whitelist and
directory from local files, gunicorn, a Celery worker), the owner's mailbox added in the
admin by picking the owner by name, then a professional signs in through PSC and sends a
message that reaches the recipient's INBOX.

The devstack's PSC simulator and operator are on loopback over http, with the devstack's own
CA standing in for IGC-Santé: the walkthrough names the three fail-closed checks that breaks
(and only those) in DJANGO_SILENCED_SYSTEM_CHECKS;
every other check runs as in production (NIL, CA bundle, sources, Redis)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from devstack import stack
from tests.conftest import ENV, IDENTITIES, PORTS, PSCSim
from tests.integration.mail_server import wait_for_subject

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SUPERUSER, SUPERPASS = "exploitant", "un mot de passe long et sûr"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def operator_whitelist(path: Path) -> Path:
    """The operator's copy of the national whitelist, in its format: the devstack's list
    plus the devstack's own domains (which the national list of course lacks)."""
    text = (stack.DEVSTACK / "data" / "listeblanche-devstack.xml").read_text(encoding="utf-8")
    extra = "".join(
        f"<Domaine><Nom>{domain}</Nom><Description>devstack</Description>"
        f"<DateMAJ>2026-11-01T00:00:00Z</DateMAJ></Domaine>"
        for domain in stack.IDENTITIES["domains"] if domain != stack.IDENTITIES["patient_domain"])
    path.write_text(text.replace("</ListeDomaines>", extra + "</ListeDomaines>"), encoding="utf-8")
    return path


def operator_env(tmp_path: Path, port: int) -> dict[str, str]:
    """What an operator sets, and nothing of the test run's own environment."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "MSSANTE_", "REDIS_", "CELERY_", "DATABASE_"))}
    env.update({
        "PATH": f"{ROOT / '.venv' / 'bin'}:{env['PATH']}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "walkthrough-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # no TLS proxy in front, in this walkthrough only
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SILENCED_SYSTEM_CHECKS": "mssante.E002,mssante.E003,mssante.E010",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "REDIS_URL": f"redis://127.0.0.1:{PORTS.redis}/5",
        "MSSANTE_PSC_ISSUER": ENV["MSSANTE_PSC_ISSUER"],
        "MSSANTE_PSC_CLIENT_ID": ENV["MSSANTE_PSC_CLIENT_ID"],
        "MSSANTE_PSC_CLIENT_SECRET": ENV["MSSANTE_PSC_CLIENT_SECRET"],
        "MSSANTE_IMAP_HOST": "127.0.0.1", "MSSANTE_IMAP_PORT": ENV["MSSANTE_IMAP_PORT"],
        "MSSANTE_SMTP_HOST": "127.0.0.1", "MSSANTE_SMTP_PORT": ENV["MSSANTE_SMTP_PORT"],
        "MSSANTE_TLS_CA_FILE": ENV["MSSANTE_TLS_CA_FILE"],
        "MSSANTE_NIL": "MSW-WALKTHROUGH-0001",
        "MSSANTE_PATIENT_DOMAIN": ENV["MSSANTE_PATIENT_DOMAIN"],
        "MSSANTE_WHITELIST_URL": str(operator_whitelist(tmp_path / "listeblanchemssante.xml")),
        "DJANGO_SUPERUSER_USERNAME": SUPERUSER, "DJANGO_SUPERUSER_PASSWORD": SUPERPASS,
        "MSSANTE_MIGRATE_ON_START": "1", "PORT": str(port), "WEB_CONCURRENCY": "2",
        "MSSANTE_PLAIN_STATIC": "1",
    })
    return env


@pytest.fixture
def site(tmp_path: Path, devstack: dict[str, str]) -> Iterator[str]:
    port = free_port()
    env = operator_env(tmp_path, port)
    entry = ["sh", str(ROOT / "docker" / "entrypoint.sh")]

    def step(*args: str) -> str:
        done = subprocess.run([*entry, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    # README steps 4-5: database, then the trust space from local files (offline).
    step("migrate", "--noinput")
    assert "9 domains" in step("whitelist_import", "--file", env["MSSANTE_WHITELIST_URL"])
    extraction = Path(ENV["MSSANTE_ANNUAIRE_URL"])
    assert "rows" in step("annuaire_import", "--file", str(extraction))
    logs = tmp_path / "logs"
    logs.mkdir()
    web = subprocess.Popen([*entry, "web"], cwd=ROOT, env=env,
                           stdout=(logs / "web.log").open("wb"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([*entry, "worker", "--pool", "solo", "--without-mingle",
                               "--without-gossip", "-n", f"walkthrough-{port}@localhost"],
                              cwd=ROOT, env=env, stdout=(logs / "worker.log").open("wb"),
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/readyz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or web.poll() is not None:
                raise AssertionError((logs / "web.log").read_text())
            time.sleep(0.5)
        yield base
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            process.wait(timeout=30)
    print((logs / "web.log").read_text()[-3000:], (logs / "worker.log").read_text()[-3000:])


def csrf(session: requests.Session, html_text: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html_text)
    assert found, html_text[:500]
    return found.group(1)


def test_operator_steps_bring_a_site_up_that_sends(site: str, psc_sim: PSCSim) -> None:
    ready = requests.get(site + "/readyz", timeout=5).json()
    assert ready["whitelist"]["domains"] == 9 and ready["checks"]["imap"]["ok"]

    # A professional signs in through PSC (the site found every endpoint by discovery).
    gp = IDENTITIES["gp"]
    person = requests.Session()
    start = person.get(site + "/oidc/authenticate/", allow_redirects=False, timeout=10)
    callback = PSCSim.pick_identity(start.headers["Location"], "gp")
    assert urlsplit(callback).netloc == urlsplit(site).netloc
    landing = person.get(callback, timeout=30)
    assert landing.status_code == 200

    # The superuser made at first start signs in to the admin; owners are found by name.
    admin = requests.Session()
    login = admin.get(site + "/admin/login/", timeout=10)
    done = admin.post(site + "/admin/login/?next=/admin/", timeout=10, data={
        "csrfmiddlewaretoken": csrf(admin, login.text), "username": SUPERUSER,
        "password": SUPERPASS, "next": "/admin/"})
    assert done.url.endswith("/admin/"), done.text[:500]
    found = admin.get(site + "/admin/autocomplete/", timeout=10, params={
        "term": gp["family_name"], "app_label": "mail", "model_name": "mailbox",
        "field_name": "owner"}).json()["results"]
    assert len(found) == 1 and gp["family_name"] in found[0]["text"]
    # The professional's mailbox was linked at sign-in from the national directory (by
    # idNat): the superuser finds it, owned by them, with nothing to add by hand.
    listed = admin.get(site + "/admin/mail/mailbox/", timeout=10, params={"q": gp["mailbox"]})
    assert gp["mailbox"] in listed.text and gp["family_name"] in listed.text, listed.text[:2000]

    # The professional writes to a colleague; the worker sends it through the operator.
    inbox = person.get(site + "/", timeout=30)
    assert inbox.status_code == 200 and gp["mailbox"] in inbox.text
    compose = person.get(site + "/ecrire/", timeout=10)
    subject = f"Mise en service {uuid.uuid4().hex[:6]}"
    sent = person.post(site + "/ecrire/", timeout=30, allow_redirects=False, data={
        "csrfmiddlewaretoken": csrf(person, compose.text), "to": IDENTITIES["nurse"]["mailbox"],
        "subject": subject, "body": "Bonjour, le webmail est en service."})
    assert sent.status_code == 302, sent.text[:2000]
    assert wait_for_subject(IDENTITIES["nurse"]["mailbox"], "INBOX", subject, timeout=60)
