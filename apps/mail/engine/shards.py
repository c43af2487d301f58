"""Several new-mail watchers sharing the watched mailboxes (issue 28).

Each watcher (``manage.py mail_watch``) registers under a name with a heartbeat; the
mailboxes to watch are shared among the live watchers by rendezvous hashing (each mailbox
goes to the watcher with the highest hash of (watcher, mailbox)): the assignment needs no
coordinator, every watcher computes the same one, and a watcher that joins or leaves moves
only its own share.

Two watchers may briefly disagree on who is alive (one saw a heartbeat the other has not
yet): a mailbox is therefore watched only under a **claim**, a key with a time to live that
its holder renews at each membership pass and gives back when it lets the mailbox go. A
claim held by another is never taken: two watchers never hold IDLE on the same mailbox (the
operator counts every connection against the user's limit). A watcher that dies stops
beating and renewing: within ``dead_after`` the others no longer count it, within the
claim's ``ttl`` its mailboxes are free, and the next pass of their new owner takes them.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import redis

from apps.core.locks import claims_give_back, claims_take, process_name

logger = logging.getLogger(__name__)


def rendezvous_owner(*, key: int, members: Collection[str]) -> str | None:
    """The member ``key`` belongs to (highest random weight); None without members."""
    if not members:
        return None
    return max(members, key=lambda member: (_weight(member, key), member))


def _weight(member: str, key: int) -> bytes:
    return hashlib.blake2b(f"{member}\x00{key}".encode(), digest_size=8).digest()


class ShardStore(Protocol):
    """Where watchers meet: Redis in the site, a dictionary in unit tests."""

    def beat(self, member: str, *, now: float, dead_after: float) -> list[str]:
        """Record that ``member`` is alive; return the members alive now (itself included)."""

    def leave(self, member: str) -> None:
        """``member`` stops (a clean shutdown): the others take its share at once."""

    def claim(self, member: str, keys: Iterable[int], *, ttl: float, now: float) -> set[int]:
        """Claim or renew ``keys`` for ``ttl`` s; returns those ``member`` holds now."""

    def release(self, member: str, keys: Iterable[int]) -> None:
        """Give back the claims ``member`` holds among ``keys``."""


class MemoryShardStore:
    """The store in one process (unit tests, the property test): the same rules as Redis."""

    def __init__(self) -> None:
        self.heartbeats: dict[str, float] = {}
        self.claims: dict[int, tuple[str, float]] = {}

    def beat(self, member: str, *, now: float, dead_after: float) -> list[str]:
        self.heartbeats[member] = now
        return sorted(m for m, at in self.heartbeats.items() if now - at < dead_after)

    def leave(self, member: str) -> None:
        self.heartbeats.pop(member, None)
        self.claims = {k: c for k, c in self.claims.items() if c[0] != member}

    def claim(self, member: str, keys: Iterable[int], *, ttl: float, now: float) -> set[int]:
        held = set()
        for key in keys:
            holder = self.claims.get(key)
            if holder is None or holder[0] == member or holder[1] <= now:
                self.claims[key] = (member, now + ttl)
                held.add(key)
        return held

    def release(self, member: str, keys: Iterable[int]) -> None:
        for key in keys:
            if self.claims.get(key, ("", 0.0))[0] == member:
                del self.claims[key]


class RedisShardStore:
    """Heartbeats in a sorted set (member → last beat), claims as keys with a TTL."""

    def __init__(self, client: redis.Redis, *, namespace: str = "mssante:watch") -> None:
        self.client = client
        self.MEMBERS = f"{namespace}:members"
        self.CLAIM = f"{namespace}:claim:{{}}"

    def beat(self, member: str, *, now: float, dead_after: float) -> list[str]:
        pipe = self.client.pipeline()
        pipe.zadd(self.MEMBERS, {member: now})
        pipe.zremrangebyscore(self.MEMBERS, "-inf", now - dead_after)
        pipe.zrange(self.MEMBERS, 0, -1)
        members = pipe.execute()[-1]
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    def leave(self, member: str) -> None:
        self.client.zrem(self.MEMBERS, member)

    def claim(self, member: str, keys: Iterable[int], *, ttl: float, now: float) -> set[int]:
        # The expiry is Redis's own (PX): the watchers' clocks need not agree on it.
        ordered = list(keys)
        got = claims_take(keys=[self.CLAIM.format(key) for key in ordered], holder=member, ttl=ttl,
                          client=self.client)
        return {key for key, held in zip(ordered, got, strict=True) if held}

    def release(self, member: str, keys: Iterable[int]) -> None:
        claims_give_back(keys=[self.CLAIM.format(key) for key in keys], holder=member, client=self.client)


@dataclass
class WatchShard:
    """One watcher's place among the others: which of the wanted mailboxes are its own.

    ``dead_after`` (a watcher not heard of for that long is gone) and ``ttl`` (a claim not
    renewed for that long is free) bound how long a dead watcher's mailboxes stay unwatched:
    ``ttl`` plus one membership pass of their new owner."""

    store: ShardStore
    member: str = field(default_factory=process_name)
    dead_after: float = 10.0
    ttl: float = 12.0
    clock: Callable[[], float] = time.time
    members: list[str] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    renewed_at: float = float("-inf")  # the last pass whose claims the store accepted
    introduced: bool = False  # its first pass beat, and claimed nothing
    # Mailboxes of its share still claimed by another (a dead watcher's, until they expire;
    # one that moved here, until its old holder lets go): the next pass comes sooner.
    waiting_for: int = 0

    def mine(self, wanted: Collection[int]) -> set[int]:
        """Of ``wanted``, the mailboxes this watcher is to hold now: its share, under claims
        taken or renewed. What it held and no longer owns stays claimed until ``settle``,
        called once its connections are closed: the next owner never opens one before.
        With the store unreachable it keeps what it held (claims last ``ttl``): a Redis
        restart neither drops nor doubles the watches."""
        now = self.clock()
        if not self.introduced:
            # Its first pass only says it is here: watchers started together (a deployment,
            # a restart) would otherwise each take everything, then give most of it back.
            try:
                self.members = self.store.beat(self.member, now=now, dead_after=self.dead_after)
            except redis.RedisError as exc:
                logger.warning("watcher shard %s: Redis unavailable (%s)", self.member, exc)
                return set()
            self.introduced = True
            return set()
        if self.lapsed():
            # Stalled past the claims' life (a paused process): another may hold them now.
            # The caller has closed every watch (``InboxWatcher.refresh``); start afresh.
            self.held = set()
        try:
            self.members = self.store.beat(self.member, now=now, dead_after=self.dead_after)
            if self.member not in self.members:
                self.members = sorted([*self.members, self.member])
            own = {key for key in wanted if rendezvous_owner(key=key, members=self.members) == self.member}
            claimed = self.store.claim(self.member, own, ttl=self.ttl, now=now)
        except redis.RedisError as exc:
            logger.warning("watcher shard %s: Redis unavailable (%s), keeping its %s mailboxes",
                           self.member, exc, len(self.held))
            return self.held & set(wanted)
        self.held |= claimed
        self.renewed_at = now
        self.waiting_for = len(own) - len(claimed)
        return claimed

    def lapsed(self, *, margin: float = 0.0) -> bool:
        """Whether the claims may have expired (``margin`` s before they do): past that, a
        watch held is no longer known to be this watcher's alone."""
        return self.clock() - self.renewed_at >= self.ttl - margin

    def settle(self, *, keep: Collection[int]) -> None:
        """Give back the claims on what this watcher no longer holds (its connections closed)."""
        gone = self.held - set(keep)
        if not gone:
            return
        try:
            self.store.release(self.member, gone)
        except redis.RedisError as exc:
            logger.warning("watcher shard %s: claims on %s mailboxes not given back (%s): "
                           "they expire within %s s", self.member, len(gone), exc, self.ttl)
        self.held -= gone

    def leave(self) -> None:
        try:
            self.store.release(self.member, self.held)
            self.store.leave(self.member)
        except redis.RedisError as exc:
            logger.warning("watcher shard %s left without telling Redis (%s): its share moves "
                           "when its heartbeat and claims expire", self.member, exc)
        self.held = set()
