"""Two new-mail watchers sharing mailboxes through the real Redis and Dovecot (issue 28):
together they hold IDLE on every mailbox, never both on one, and when one dies without a
word (no clean leave) the other holds its share again within 30 s."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest

from apps.core.locks import redis_client
from apps.mail.engine.shards import RedisShardStore, WatchShard
from apps.mail.engine.watching import InboxWatcher
from devstack import stack
from mailproto.imap import AuthMode, ImapCredentials, ImapEndpoint, imap_connect
from mailproto.imap.session import ImapSession
from tests.conftest import PORTS

pytestmark = pytest.mark.integration
MAILBOXES = {100_000 + n: address for n, address in enumerate(stack.watch_bench_users()[:16])}


def opener(mailbox_id: int, key: str) -> ImapSession:
    endpoint = ImapEndpoint("127.0.0.1", PORTS.imaps, "ssl", ca_file=os.environ["MSSANTE_TLS_CA_FILE"])
    return ImapSession(imap_connect(endpoint, ImapCredentials(
        MAILBOXES[mailbox_id], AuthMode.PLAIN, os.environ["MSSANTE_DEVSTACK_PASSWORD"])))


def test_two_watchers_share_the_mailboxes_and_take_over_a_dead_ones_share(devstack: dict[str, str]) -> None:
    namespace = f"mssante:test-watch:{uuid.uuid4().hex[:8]}"
    store = RedisShardStore(redis_client(), namespace=namespace)
    watchers = [InboxWatcher(candidates=lambda: dict.fromkeys(MAILBOXES, "cle"), opener=opener,
                             on_change=lambda m, k: None, refresh_seconds=0.3,
                             shard=WatchShard(store=store, member=f"w{n}", dead_after=2.0, ttl=3.0))
                for n in range(2)]
    stops = [threading.Event(), threading.Event()]
    overlaps: list[set[int]] = []

    def run(watcher: InboxWatcher, stop: threading.Event) -> None:
        while not stop.is_set():  # no close(): the second one "dies" as a killed process does
            watcher.step(0.2)

    threads = [threading.Thread(target=run, args=(w, s)) for w, s in zip(watchers, stops, strict=True)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            held = [set(w.watched) for w in watchers]
            if held[0] & held[1]:
                overlaps.append(held[0] & held[1])
            if held[0] | held[1] == set(MAILBOXES) and held[0] and held[1]:
                break
            time.sleep(0.05)
        assert not overlaps
        assert set(watchers[0].watched) | set(watchers[1].watched) == set(MAILBOXES)
        assert watchers[0].watched and watchers[1].watched  # both took a share
        share = set(watchers[1].watched)

        stops[1].set()  # the second dies: its loop stops, its connections go with "its process"
        threads[1].join(timeout=10)
        for watched in watchers[1].watched.values():
            watched.imap.close()
        died = time.monotonic()
        while set(watchers[0].watched) != set(MAILBOXES):
            assert time.monotonic() - died < 30, f"{share - set(watchers[0].watched)} still unwatched"
            time.sleep(0.1)
        takeover = time.monotonic() - died
        assert takeover >= 2.0 - 0.5  # not before its heartbeat was due: the claims held
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(timeout=10)
        watchers[0].close()
    assert not redis_client().exists(store.MEMBERS) or redis_client().zrange(store.MEMBERS, 0, -1) == [b"w1"]


@pytest.mark.django_db(transaction=True)
def test_the_site_watcher_claims_in_redis(devstack: dict[str, str], watcher: Any) -> None:
    """The fixture's watcher (the site's configuration) has a shard and beats in Redis."""
    deadline = time.monotonic() + 5
    while watcher.shard.member not in watcher.shard.members:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert redis_client().zscore("mssante:watch:members", watcher.shard.member) is not None
