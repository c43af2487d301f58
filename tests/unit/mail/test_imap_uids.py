"""UID sets both ways, and where moved messages landed (COPYUID)."""

from __future__ import annotations

from mailproto.imap.uids import MovedUids, parse_copyuid, parse_uid_set, uid_set


def test_uid_sets_round_trip() -> None:
    uids = [1, 2, 3, 7, 9, 10]
    assert uid_set(uids) == b"1:3,7,9:10"
    assert parse_uid_set(uid_set(uids)) == uids
    assert parse_uid_set(b"5:3,8") == [3, 4, 5, 8]  # descending ranges are allowed


def test_copyuid_from_move_answers() -> None:
    assert parse_copyuid(b"* OK [COPYUID 1700000000 4:5,9 101:103] Moved UIDs.") == MovedUids(
        1700000000, ((4, 101), (5, 102), (9, 103)))
    assert parse_copyuid(b"OK [copyuid 7 1 2] done") == MovedUids(7, ((1, 2),))
    assert parse_copyuid(b"* OK [COPYUID 7 1:3 2] broken") is None  # counts differ
    assert parse_copyuid(b"OK Move completed.") is None
