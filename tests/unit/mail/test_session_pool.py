from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from apps.core.errors import MailServerUnavailable
from apps.mail.services import SessionPool


class FakeSession:
    def __init__(self) -> None:
        self.closed = False
        self.noops = 0
        self.last_used = time.monotonic()

    def close(self) -> None:
        self.closed = True

    def noop(self) -> None:
        self.noops += 1


def test_reuses_idle_sessions_and_discards_broken_ones() -> None:
    pool = SessionPool(limit=2)
    made: list[FakeSession] = []

    def factory() -> Any:
        made.append(FakeSession())
        return made[-1]

    first = pool.acquire((1, "u"), factory)
    pool.release((1, "u"), first, broken=False)
    assert pool.acquire((1, "u"), factory) is first and len(made) == 1
    pool.release((1, "u"), first, broken=True)
    assert first.closed
    assert pool.acquire((1, "u"), factory) is not first and len(made) == 2


def test_bounded_per_key_and_waits_for_a_release() -> None:
    pool = SessionPool(limit=1)
    held = pool.acquire((1, "u"), FakeSession)  # type: ignore[arg-type]
    assert pool.acquire((2, "u"), FakeSession)  # type: ignore[arg-type]  # another mailbox: its own bound
    with pytest.raises(MailServerUnavailable):
        pool.acquire((1, "u"), FakeSession, timeout=0.1)  # type: ignore[arg-type]
    threading.Timer(0.1, pool.release, args=((1, "u"), held, False)).start()
    assert pool.acquire((1, "u"), FakeSession, timeout=2) is held  # type: ignore[arg-type]


def test_idle_sessions_are_checked_then_retired() -> None:
    pool = SessionPool(limit=2)
    session = FakeSession()
    pool.release((1, "u"), session, broken=False)
    session.last_used -= pool.IDLE_CHECK_AFTER + 1
    assert pool.acquire((1, "u"), FakeSession) is session and session.noops == 1  # type: ignore[arg-type]
    pool.release((1, "u"), session, broken=False)
    session.last_used -= pool.MAX_IDLE + 1
    assert pool.acquire((1, "u"), FakeSession) is not session and session.closed  # type: ignore[arg-type]


def test_idle_sessions_nobody_comes_back_for_are_closed() -> None:
    pool = SessionPool(limit=3)
    pool.MAX_POOLED = 2  # type: ignore[misc]
    made = [FakeSession() for _ in range(3)]
    for number, session in enumerate(made):
        assert pool.acquire((number, "u"), lambda s=session: s) is session  # type: ignore[misc]
    for number, session in enumerate(made):
        pool.release((number, "u"), session, broken=False)
    assert made[0].closed and not made[1].closed and not made[2].closed  # the oldest went
    made[1].last_used -= pool.MAX_IDLE + 1  # then one idles too long: the next release sweeps
    extra = FakeSession()
    pool.release((9, "u"), pool.acquire((9, "u"), lambda: extra), broken=False)
    assert made[1].closed and not made[2].closed and not extra.closed


def test_one_idle_session_per_mailbox_whoever_opened_it() -> None:
    """Dovecot counts every process's connections against the user's 10: a process keeps
    one idle per mailbox, and closes the others as they come back."""
    pool = SessionPool(limit=3)
    sessions = {name: FakeSession() for name in ("a1", "a2", "b1")}
    a1 = pool.acquire((1, "user:a"), lambda: sessions["a1"])
    a2 = pool.acquire((1, "user:a"), lambda: sessions["a2"])
    b1 = pool.acquire((1, "session:b"), lambda: sessions["b1"])
    other = pool.acquire((2, "user:a"), FakeSession)
    for key, session in (((1, "user:a"), a1), ((1, "user:a"), a2), ((1, "session:b"), b1),
                         ((2, "user:a"), other)):
        pool.release(key, session, broken=False)
    assert not a1.closed and a2.closed and b1.closed  # one kept for mailbox 1
    assert not other.closed  # and one for mailbox 2
    assert pool.acquire((1, "user:a"), FakeSession) is a1


class FakeSlots:
    """The deployment's idle slots as Redis keeps them: one holder per (mailbox, kind)."""

    def __init__(self, holders: dict[tuple[int, str], str], name: str) -> None:
        self.holders, self.name = holders, name

    def hold(self, mailbox_id: int, kind: str) -> bool:
        return self.holders.setdefault((mailbox_id, kind), self.name) == self.name

    def give_back(self, slots: Any) -> None:
        for slot in slots:
            if self.holders.get(slot) == self.name:
                del self.holders[slot]

    def renew(self, slots: Any) -> set[tuple[int, str]]:
        return {slot for slot in slots if self.holders.get(slot) != self.name}


def test_a_process_keeps_a_session_idle_only_with_the_mailboxs_slot_for_its_kind() -> None:
    """Issue 28: four web processes and two workers keep at most one idle session each per
    mailbox and kind, whatever their number: the others log out after use."""
    holders: dict[tuple[int, str], str] = {}
    pools = [SessionPool(limit=2, slots=FakeSlots(holders, f"p{n}")) for n in range(6)]  # type: ignore[arg-type]
    sessions = []
    for number, pool in enumerate(pools):
        owner = "user:3" if number < 4 else "session:abc"  # pages, then workers
        session = pool.acquire((7, f"{owner}|imap:993|psc"), FakeSession)  # type: ignore[arg-type]
        pool.release((7, f"{owner}|imap:993|psc"), session, broken=False)
        sessions.append(session)
    kept = [s for s in sessions if not s.closed]
    assert len(kept) == 2 and not sessions[0].closed and not sessions[4].closed
    assert holders == {(7, "web"): "p0", (7, "worker"): "p4"}
    # the holder closes its idle session (its user signed out): the slot is free for another
    pools[0].close_owner("user:3")
    assert holders == {(7, "worker"): "p4"}
    again = pools[1].acquire((7, "user:3|imap:993|psc"), FakeSession)  # type: ignore[arg-type]
    pools[1].release((7, "user:3|imap:993|psc"), again, broken=False)
    assert not again.closed and holders[(7, "web")] == "p1"


def test_the_reaper_pass_closes_what_no_live_session_stands_behind() -> None:
    """An expiry, a deactivated user, a revoked delegation: nobody broadcasts those; the
    periodic pass asks who still stands behind each idle session and closes the rest."""
    backed = {(1, "user:3"), (4, "certificate")}
    asked: list[set[tuple[int, str]]] = []

    def alive(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
        asked.append(pairs)
        return pairs & backed

    pool = SessionPool(limit=2, alive=alive)
    kept, revoked, expired, certificate = (FakeSession() for _ in range(4))
    pool.release((1, "user:3|h:1|psc"), kept, broken=False)
    pool.release((2, "user:3|h:1|psc"), revoked, broken=False)  # a delegation revoked since
    pool.release((3, "session:zz|h:1|psc"), expired, broken=False)
    pool.release((4, "certificate|h:1|certificate"), certificate, broken=False)
    assert pool.close_dead() == 2
    assert revoked.closed and expired.closed and not kept.closed and not certificate.closed
    assert asked == [{(1, "user:3"), (2, "user:3"), (3, "session:zz"), (4, "certificate")}]


def test_the_reaper_pass_renews_the_slots_and_lets_go_of_a_lost_one() -> None:
    """Slots live a few reaper passes, renewed at each (a dead process's free within
    seconds); one found taken by another (Redis restarted meanwhile) is not kept idle."""
    holders: dict[tuple[int, str], str] = {}
    pool = SessionPool(limit=2, slots=FakeSlots(holders, "p0"))  # type: ignore[arg-type]
    kept, lost = FakeSession(), FakeSession()
    pool.release((1, "session:a|h:1|psc"), kept, broken=False)
    pool.release((2, "session:a|h:1|psc"), lost, broken=False)
    assert holders == {(1, "worker"): "p0", (2, "worker"): "p0"}
    holders[(2, "worker")] = "p9"  # taken by another process while ours had lapsed
    pool.close_dead()
    assert not kept.closed and lost.closed


def test_a_slot_confirmed_a_moment_ago_costs_no_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every IMAP use ends in a release: within a third of the slot's life after Redis
    confirmed it, the release asks Redis nothing; a slot given back is asked for again."""
    from apps.mail.engine import idle_slots as pool_module

    asked: list[list[str]] = []

    def take(*, keys: list[str], holder: str, ttl: float, client: Any = None) -> list[bool]:
        asked.append(keys)
        return [True] * len(keys)

    monkeypatch.setattr(pool_module, "claims_take", take)
    monkeypatch.setattr(pool_module, "claims_give_back", lambda **kwargs: None)
    slots = pool_module.IdleSlots(ttl=15.0, holder="p0")
    assert slots.hold(7, "web") and slots.hold(7, "web") and slots.hold(7, "web")
    assert len(asked) == 1
    slots.give_back([(7, "web")])
    assert slots.hold(7, "web") and len(asked) == 2


def test_the_reaper_reads_only_a_well_formed_broadcast() -> None:
    """Anything on the channel that is not {"owners": [str...]} names nobody and does not
    stop the reaper (a thread that died would leave ended sessions' connections open)."""
    from apps.mail.engine.pool import broadcast_owners

    assert broadcast_owners(b'{"owners": ["user:3", "session:k"]}') == ["user:3", "session:k"]
    for data in (b"[1, 2]", b'{"owners": "user:3"}', b'{"owners": [3, null]}', b"{}"):
        assert broadcast_owners(data) == []
    with pytest.raises(ValueError):
        broadcast_owners(b"not json")
