"""IMAP connections per signed-in professional across the deployed roles (issue 28).

The site as the container runs it (entrypoint roles, production settings, PostgreSQL,
Redis): gunicorn with 4 web workers, a Celery worker with 2 processes, beat and the new-mail
watcher. Nurse signs in through the PSC simulator and uses the site from 8 threads at once
(lists, opened messages, marks set on the server), so that every web worker and both worker
processes reach her mailbox. Through the real Dovecot (``doveadm who``): she holds at most 3
connections (the watcher's IDLE, one idle for the pages, one for the workers) where each
process used to keep its own (7); 15 s after she signs out, none."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from bench.load import Site, sign_in
from tests.conftest import IDENTITIES, imap_connections

pytestmark = pytest.mark.integration
NURSE = IDENTITIES["nurse"]["mailbox"]


class DeployedSite(Site):
    ROLES = {"web": [], "worker": ["--concurrency", "2"], "beat": ["-s", "{work}/beat-schedule"], "watch": []}

    def __init__(self, work: Path) -> None:
        super().__init__(work)
        # Production's defaults, whatever the test process turned off for itself (env_plugin)
        # and the Site would pass on.
        self.env.update(MSSANTE_IMAP_IDLE_SLOTS="1", MSSANTE_IMAP_REAPER="1")


def use_the_site(session: requests.Session, inbox: str, rounds: int) -> None:
    listing = session.get(inbox, timeout=30)
    uids = re.findall(r'/message/(\d+)/"', listing.text)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', listing.text)
    assert uids and token
    for number in range(rounds):
        uid = uids[number % len(uids)]
        session.get(f"{inbox}message/{uid}/contenu/", timeout=30)
        for action in ("flag", "unflag"):  # set on the server by the page itself, then undone
            answer = session.post(inbox + "actions/", data={"csrfmiddlewaretoken": token.group(1),
                                                            "uid": uid, "action": action},
                                  allow_redirects=False, timeout=30)
            assert answer.status_code == 302


def test_a_signed_in_user_holds_at_most_three_connections_and_none_after_sign_out() -> None:
    site = DeployedSite(Path(tempfile.mkdtemp(prefix="mssweb-budget-")))
    try:
        site.start()
        session, inbox = sign_in(site, "nurse")
        threads = [threading.Thread(target=use_the_site, args=(session, inbox, 6)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        time.sleep(6)  # what was in use is back in the pools; beat's syncs ran meanwhile
        held = [imap_connections(NURSE) for _ in range(5) if not time.sleep(0.5)]
        assert 1 <= max(held) <= 3, held  # the watcher's IDLE at least; 7 before the budget
        logs = "".join((site.work / f"{role}.log").read_text(errors="replace") for role in ("web", "worker"))
        assert "Traceback" not in logs

        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(inbox, timeout=30).text)
        assert token is not None
        session.post(f"{site.base}/oidc/logout/", data={"csrfmiddlewaretoken": token.group(1)}, timeout=30)
        signed_out = time.monotonic()
        while imap_connections(NURSE):
            assert time.monotonic() - signed_out < 15, imap_connections(NURSE)
            time.sleep(0.5)
    finally:
        site.stop()


class IdleSession:
    def __init__(self) -> None:
        self.closed = False
        self.last_used = time.monotonic()

    def close(self) -> None:
        self.closed = True


def test_a_session_that_ends_closes_what_another_process_keeps_idle(devstack: dict[str, str]) -> None:
    """The broadcast through the real Redis: the process that sees the sign-out closes its own
    and publishes the owner; another process's reaper closes what it keeps for that owner."""
    from apps.core.locks import redis_client
    from apps.mail.engine.pool import CLOSE_CHANNEL, SessionPool, psc_session_connections_close

    elsewhere = SessionPool(limit=2, reaper=True)  # another process's pool, with its reaper thread
    kept, other_users = IdleSession(), IdleSession()
    elsewhere.release((1, "user:987654|imap:993|psc"), kept, broken=False)  # type: ignore[arg-type]
    elsewhere.release((2, "user:123456|imap:993|psc"), other_users, broken=False)  # type: ignore[arg-type]
    elsewhere.reaper_start()
    deadline = time.monotonic() + 10
    while not redis_client().pubsub_numsub(CLOSE_CHANNEL)[0][1]:
        assert time.monotonic() < deadline, "the reaper never subscribed"
        time.sleep(0.05)
    psc_session_connections_close(user_pk=987654, session_key=None)
    while not kept.closed:
        assert time.monotonic() < deadline + 5, "not closed by the broadcast"
        time.sleep(0.05)
    assert not other_users.closed and elsewhere.owners() == {"user:123456"}
