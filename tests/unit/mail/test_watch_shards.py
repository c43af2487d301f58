"""Watchers sharing the watched mailboxes (issue 28): rendezvous hashing moves only the share
of a watcher that joins or leaves, and under any order of joins, clean leaves, crashes and
membership passes, two watchers never hold the same mailbox, and once the dead are past
their time every mailbox is held by someone."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.mail.engine.shards import MemoryShardStore, WatchShard, rendezvous_owner

MAILBOXES = list(range(1, 121))
DEAD_AFTER, TTL = 10.0, 20.0


@given(members=st.sets(st.text(min_size=1, max_size=8), min_size=1, max_size=8),
       newcomer=st.text(min_size=1, max_size=8))
def test_a_joining_member_takes_only_its_own_share(members: set[str], newcomer: str) -> None:
    before = {key: rendezvous_owner(key=key, members=members) for key in MAILBOXES}
    assert set(before.values()) <= members
    after = {key: rendezvous_owner(key=key, members=members | {newcomer}) for key in MAILBOXES}
    moved = {key for key in MAILBOXES if before[key] != after[key]}
    assert all(after[key] == newcomer for key in moved)
    # and when it leaves, exactly those go back where they were
    assert {key: rendezvous_owner(key=key, members=members) for key in MAILBOXES} == before


def test_the_share_is_balanced() -> None:
    members = [f"watch-{n}" for n in range(4)]
    counts = {m: 0 for m in members}
    for key in range(4000):
        counts[str(rendezvous_owner(key=key, members=members))] += 1
    assert min(counts.values()) > 800, counts  # 1,000 each on average
    assert rendezvous_owner(key=1, members=[]) is None


@dataclass
class Simulation:
    store: MemoryShardStore = field(default_factory=MemoryShardStore)
    now: float = 1000.0
    live: dict[str, WatchShard] = field(default_factory=dict)
    watching: dict[str, set[int]] = field(default_factory=dict)
    serial: int = 0

    def join(self) -> None:
        self.serial += 1
        name = f"w{self.serial}"
        self.live[name] = WatchShard(store=self.store, member=name, dead_after=DEAD_AFTER, ttl=TTL,
                                     clock=lambda: self.now)
        self.watching[name] = set()

    def pass_of(self, index: int) -> None:
        """One membership pass of a live watcher: it holds what ``mine`` gives, closes the
        rest, then gives their claims back (as ``InboxWatcher.refresh`` does)."""
        if not self.live:
            return
        name = sorted(self.live)[index % len(self.live)]
        shard = self.live[name]
        if shard.lapsed():
            self.watching[name] = set()
        held = shard.mine(MAILBOXES)
        self.watching[name] = held
        shard.settle(keep=held)

    def leave(self, index: int, *, crash: bool) -> None:
        if not self.live:
            return
        name = sorted(self.live)[index % len(self.live)]
        shard = self.live.pop(name)
        self.watching.pop(name)  # its connections die with it, either way
        if not crash:
            shard.leave()

    def assert_exclusive(self) -> None:
        """Among the watchers whose claims are current: one stalled past them (a "wait"
        longer than the claims' life without a pass) closes its watches at its next pass
        (``InboxWatcher.refresh``) before anything else."""
        seen: dict[int, str] = {}
        for name, held in self.watching.items():
            if self.live[name].lapsed():
                continue
            for key in held:
                assert key not in seen, f"mailbox {key} held by {seen[key]} and {name}"
                seen[key] = name


operations = st.lists(st.one_of(
    st.tuples(st.just("join"), st.integers(0, 0)),
    st.tuples(st.just("pass"), st.integers(0, 20)),
    st.tuples(st.just("leave"), st.integers(0, 20)),
    st.tuples(st.just("crash"), st.integers(0, 20)),
    st.tuples(st.just("wait"), st.integers(1, 25)),
), max_size=60)


@settings(max_examples=150, deadline=None)
@given(steps=operations)
def test_watchers_never_share_a_mailbox_and_cover_them_all(steps: list[tuple[str, int]]) -> None:
    sim = Simulation()
    sim.join()
    for kind, number in steps:
        if kind == "join":
            sim.join()
        elif kind == "pass":
            sim.pass_of(number)
        elif kind in ("leave", "crash"):
            sim.leave(number, crash=kind == "crash")
        else:
            sim.now += number
        sim.assert_exclusive()
    if not sim.live:
        sim.join()
    # The dead are past their time; every live watcher makes two passes (the first lets go of
    # what moved away, the second takes what moved in): all covered, still exclusive.
    sim.now += TTL + 1
    for _ in range(2):
        for index in range(len(sim.live)):
            sim.pass_of(index)
            sim.assert_exclusive()
    held = set().union(*sim.watching.values())
    assert held == set(MAILBOXES)
    for name, keys in sim.watching.items():
        assert all(rendezvous_owner(key=key, members=sorted(sim.live)) == name for key in keys)
