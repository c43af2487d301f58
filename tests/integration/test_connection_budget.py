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
