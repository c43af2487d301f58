"""Shared fixtures: the real test-profile devstack, PSC sign-in helpers, demo accounts.

``make test`` starts the stack before pytest; a bare ``pytest`` run starts it here if it
is not running (and leaves it running for the next run).
"""

from __future__ import annotations

import html
import os
import re
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import imapclient
import pytest
import requests

from devstack import stack

PROFILE = "test"
PORTS = stack.PROFILES[PROFILE]
ENV = stack.env_vars(PROFILE)
IDENTITIES = {i["key"]: i for i in stack.IDENTITIES["identities"]}
SHARED_FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"


def _flush_past_the_audit_guard() -> None:
    """Django's test flush empties every table with one TRUNCATE, which the audit table
    refuses on PostgreSQL (its append-only guard, issue 27). The test database's role owns
    the tables, so the flush, and only the flush, sets that trigger aside for its own
    transaction; the application never runs this."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    plain = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        if any("audit_auditevent" in sql for sql in sql_list):
            sql_list = ["ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_truncate", *sql_list,
                        "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_truncate"]
        plain(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign,assignment]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        _flush_past_the_audit_guard()


@pytest.fixture(scope="session")
def devstack() -> dict[str, str]:
    if not stack.status_quiet(PROFILE):
        stack.start(PROFILE)
    # Celery tasks queued by an earlier run must not reach this run's workers.
    import redis

    redis.Redis.from_url(ENV["REDIS_URL"]).flushdb()
    return ENV


@pytest.fixture(autouse=True)
def _no_pooled_imap_sessions_left() -> Iterator[None]:
    """Each test leaves no pooled IMAP connection behind: their mailboxes' rows are gone
    after it, and Dovecot allows a user 10 connections from one address."""
    yield
    import django.apps

    if django.apps.apps.ready:
        from apps.mail.engine.message_cache import MESSAGES
        from apps.mail.services import POOL
        from apps.trust.services import WHITELIST_LOCAL

        POOL.clear()
        MESSAGES.clear()  # keys repeat across tests' databases
        WHITELIST_LOCAL.clear()  # so does the whitelist, imported or not by each test


@pytest.fixture(scope="session")
def seeded_mail(devstack: dict[str, str]) -> None:
    """Demo mail delivered once per session through the real inbound path. The demo
    mailboxes are emptied first: tests add mail to them, and a devstack kept from an
    earlier run would push the seeded messages off the first page."""
    import datetime as dt

    from devstack import seed
    from tests.integration.mail_server import reset_mailbox

    items = seed.demo_messages(dt.datetime.now(dt.UTC))
    for address in sorted({a for item in items for a in item.to}
                          | {item.append_to_sent_of for item in items if item.append_to_sent_of}):
        reset_mailbox(address)
    seed.seed(PROFILE)


@pytest.fixture
def demo_accounts(db: Any, devstack: dict[str, str]) -> None:
    from devstack.seed_demo import seed_demo

    seed_demo(profile=PROFILE, no_mail=True, say=lambda line: None)


@pytest.fixture
def psc_sim(devstack: dict[str, str]) -> Iterator[PSCSim]:
    sim = PSCSim(ENV["MSSANTE_PSC_SIM_ADMIN"])
    sim.reset()
    yield sim
    sim.reset()


class PSCSim:
    """Test controls of the PSC simulator, and a scripted sign-in through its real pages."""

    def __init__(self, admin: str) -> None:
        self.admin = admin

    def reset(self) -> None:
        requests.post(f"{self.admin}/reset", timeout=5).raise_for_status()

    def configure(self, **changes: Any) -> None:
        requests.post(f"{self.admin}/config", json=changes, timeout=5).raise_for_status()

    def events(self) -> list[dict[str, Any]]:
        return requests.get(f"{self.admin}/events", timeout=5).json()

    def mint(self, identity: str = "gp", **options: Any) -> str:
        response = requests.post(f"{self.admin}/mint", json={"identity": identity, **options},
                                 timeout=5)
        response.raise_for_status()
        return response.json()["access_token"]

    @staticmethod
    def pick_identity(authorize_url: str, identity: str, action: str | None = None) -> str:
        """Load the simulator's login page at ``authorize_url``, pick an identity as a person
        would, and return the URL the simulator redirects to (the site's callback)."""
        page = requests.get(authorize_url, timeout=5)
        page.raise_for_status()
        fields = {html.unescape(k): html.unescape(v) for k, v in
                  re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)}
        if action:
            fields["action"] = action
        else:
            fields["identity"] = identity
        answer = requests.post(authorize_url.split("?")[0], data=fields, allow_redirects=False,
                               timeout=5)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]


def django_signin(client: Any, identity: str = "gp", action: str | None = None,
                  next_url: str | None = None, before_callback: Any = None) -> Any:
    """Full PSC sign-in with Django's test client and the real simulator; returns the
    response of the site's callback. ``before_callback`` runs while the person is on the
    simulator's page (to look at the session then)."""
    start = client.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
    assert start.status_code == 302
    callback = PSCSim.pick_identity(start["Location"], identity, action)
    if before_callback:
        before_callback()
    parts = urlsplit(callback)
    return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})


def session_tokens(client: Any) -> Any:
    """The PSC tokens of the test client's session (decrypted, as the site reads them)."""
    from apps.accounts.tokens import session_tokens_get

    return session_tokens_get(session=client.session)


def expire_access_token(client: Any) -> None:
    """Make the session's access token look expired, so that the next use refreshes it."""
    from apps.accounts.tokens import session_tokens_set

    session = client.session
    tokens = session_tokens(client)
    assert tokens is not None
    session_tokens_set(session=session, tokens=tokens.with_access_expiring(0.0))
    session.save()


def run_together(work: Any, count: int = 2, timeout: float = 60.0) -> list[Any]:
    """``work()`` in ``count`` threads released at the same instant: what each returned,
    or the exception it raised. Each thread closes its own database connection."""
    import threading

    from django.db import connection

    start = threading.Barrier(count)
    results: list[Any] = []

    def run() -> None:
        try:
            start.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def imap_plain(address: str) -> imapclient.IMAPClient:
    """A devstack-only PLAIN login, to look at a mailbox from the server's side."""
    context = ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"])
    client = imapclient.IMAPClient("127.0.0.1", PORTS.imaps, ssl=True, ssl_context=context)
    client.plain_login(address, stack.DEV_PASSWORD)
    return client


def imap_connections(user: str) -> int:
    """The user's logged-in IMAP connections in the test devstack's Dovecot, one line each
    (``doveadm who -1``: plain ``who`` prints one line per user and service)."""
    conf = stack.state_dir("test") / "dovecot" / "dovecot.conf"
    out = subprocess.run(["doveadm", "-c", str(conf), "who", "-1", user], capture_output=True, text=True,
                         check=False).stdout
    return sum(1 for line in out.splitlines()[1:] if line.split()[:1] == [user] and "imap" in line)


def shared_fixture(*parts: str) -> Path:
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/fixtures not present here ({path}): shared fixture tests skipped")
    return path


@pytest.fixture
def client() -> Any:
    """Django's test client, on 127.0.0.1 so that the simulator accepts the callback URL
    (it only redirects to loopback, like a real provider only to registered URIs)."""

    return navigating_client()


def navigating_client() -> Any:
    """Django's test client as a browser that navigates: every request says
    ``Sec-Fetch-Dest: document``, as a page the person opens does (only such a GET records a
    read; an <img> or a prefetch does not: issue 27)."""
    from django.test import Client

    return Client(SERVER_NAME="127.0.0.1", HTTP_SEC_FETCH_DEST="document")


@pytest.fixture
def trust_data(db: Any, tmp_path: Path) -> None:
    """The devstack whitelist and a small directory (the demo identities + 500 others)."""
    from apps.trust.services import annuaire_import, whitelist_refresh
    from devstack import annuaire_synth

    whitelist_refresh()
    annuaire_import(path=annuaire_synth.write(tmp_path / "annuaire.txt", 500))


def test_database_url() -> str:
    """The test database, as a URL a worker process can open (a file for SQLite)."""
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        assert "memory" not in str(db["NAME"]), "tests.env_plugin puts the SQLite test database in a file"
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def celery_worker(devstack: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker (solo pool) on the devstack's Redis and the test database: the
    outbox and syncs run as in production."""
    env = dict(os.environ, **ENV, DATABASE_URL=test_database_url())
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mssante_web", "worker", "--pool", "solo", "-l",
         "WARNING", "-n", f"pytest-{os.getpid()}-{tmp_path.name}@localhost", "--without-mingle",
         "--without-gossip"], cwd=Path(__file__).resolve().parents[1], env=env, stdout=log,
        stderr=subprocess.STDOUT)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        log.close()


@pytest.fixture
def watcher(devstack: dict[str, str]) -> Iterator[Any]:
    """The site's watcher (live sessions, tokens from them, syncs asked of a worker, its share
    claimed in Redis), in a thread of the test process, reading who is signed in every 0.2 s."""
    from apps.core.locks import redis_client
    from apps.mail.engine.shards import RedisShardStore, WatchShard
    from apps.mail.engine.watching import InboxWatcher

    running = InboxWatcher(refresh_seconds=0.2, shard=WatchShard(store=RedisShardStore(redis_client())))
    stop = threading.Event()
    thread = threading.Thread(target=running.run, kwargs={"should_stop": stop.is_set, "timeout": 0.2})
    thread.start()
    try:
        yield running
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def psc_force_login(client: Any, user: Any) -> None:
    """A signed-in session as a PSC sign-in leaves it (without its tokens): for pages that
    read the index only. A plain force_login is a password sign-in: the admin only."""
    import time

    from apps.accounts.session_keys import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT

    client.force_login(user, backend="apps.accounts.oidc.PSCAuthenticationBackend")
    session = client.session
    session[SESSION_SIGNED_IN_AT] = session[SESSION_LAST_SEEN] = time.time()
    session.save()
