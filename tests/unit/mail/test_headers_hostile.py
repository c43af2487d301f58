"""Hostile header values cost linear time, capped: a From, To or Date a sender writes can
never hold a sync (one From of U+00A0 runs took minutes with the old patterns)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto.mime import headers
from mailproto.mime.headers import addresses, decode_text, message_ids, name_and_address, parse_date

# A hang guard, not a performance figure (bench/hostile.py has those): the patterns this
# protects against took minutes; a shared 2-core VM may pause a test for tens of ms.
HANG = 1.0
SPACES = "\u00a0\u2000\u2003\u2028\u3000\t \x0b\x0c\u200b\u202f\ufeff"


def seconds(work: Callable[[], object]) -> float:
    for cached in (name_and_address, decode_text):
        cached.cache_clear()  # type: ignore[attr-defined]
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


@pytest.mark.parametrize("value", [
    "\u00a0" * 10_000 + "dr.x@domaine.mssante.fr",        # 10,000: cubic, about 18 minutes before
    "\u00a0" * 5_000 + "<" + "\u00a0" * 5_000 + "dr.x@domaine.mssante.fr",
    '"' * 10_000 + "<dr.x@domaine.mssante.fr>",
    "<" * 10_000 + "a@b.fr",
    "a" * 50_000 + "@",                                   # a run with no domain: quadratic before
    ("a" * 300 + "@") * 200,
    "x@" + "-" * 50_000,
    "(" * 5_000,                                          # the stdlib parser's recursion: RecursionError
    '"' * 20_000,
])
def test_one_hostile_from_or_to_is_parsed_in_linear_time(value: str) -> None:
    assert seconds(lambda: name_and_address(value)) < HANG
    assert seconds(lambda: addresses(value)) < HANG


def test_the_patterns_stay_linear_as_the_value_grows() -> None:
    """Time per character at 16 KB (the cap) against 1 KB: no more than 3x."""
    def per_char(size: int) -> float:
        value = ("\u00a0" * 40 + "a" * 40 + "<") * (size // 81) + "dr.x@x.fr"
        runs = [seconds(lambda: (name_and_address(value), addresses(value))) for _ in range(5)]
        return sorted(runs)[2] / len(value)

    small, large = per_char(1024), per_char(16 * 1024)
    assert large <= 3 * small + 1e-7


def test_values_are_cut_before_parsing() -> None:
    long_to = ", ".join(f"p{i}@h.fr" for i in range(10_000))  # ~90 KB of recipients
    found = addresses(long_to)
    assert found[0] == "p0@h.fr" and len(", ".join(found)) <= headers.HEADER_MAX
    assert len(decode_text(b"x" * 100_000)) == headers.HEADER_MAX
    assert parse_date(b"Wed, 01 Jan 2025 00:00:00 +0000" + b" " * 100_000 + b"x") is not None
    assert len(message_ids(b"<a@b> " * 100_000)) < 3000


@pytest.mark.parametrize(("value", "expected"), [
    ('"Dr Claire MARTIN" <Claire.Martin@medecin.mssante.test>', ("Dr Claire MARTIN", "claire.martin@medecin.mssante.test")),
    ("Claire <c@x.fr>  ", ("Claire", "c@x.fr")),
    ("  <c@x.fr>", ("", "c@x.fr")),
    ('"Dupont \\"Jo\\"" <j@x.fr>', ('Dupont "Jo"', "j@x.fr")),
    ("c@x.fr", ("", "c@x.fr")),
    ("Claire c@x.fr", ("", "c@x.fr")),
    ("<c@x.fr> trailing words", ("", "c@x.fr")),
    ("", ("", "")),
])
def test_usual_shapes_still_read_the_same(value: str, expected: tuple[str, str]) -> None:
    assert name_and_address(value) == expected


def test_addresses_in_order_without_duplicates() -> None:
    assert addresses("A <a@x.fr>, b@y.fr; A <A@X.FR> c.d+e@z.mssante.fr") == ["a@x.fr", "b@y.fr", "c.d+e@z.mssante.fr"]


PIECES = [*SPACES, *'"<>@,;\\()=?:', "a", "é", "=?utf-8?q?", "?=", "=?x?B?", "Wed, 01 Jan 2025 "]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=2000).map("".join)


@settings(max_examples=150, deadline=None)
@given(HOSTILE)
def test_any_hostile_header_is_quick(value: str) -> None:
    raw = value.encode("utf-8")
    elapsed = seconds(lambda: (name_and_address(value), addresses(value), decode_text(raw),
                               parse_date(raw), message_ids(raw)))
    assert elapsed < HANG


def test_escape_and_transform_codecs_named_by_a_sender_read_as_utf8() -> None:
    from mailproto.mime.headers import decode_text

    assert decode_text(b"=?unicode_escape?q?a\\x41?=") == "a\\x41"  # not "aA"
    assert decode_text(b"=?zlib?q?abc?=") == "abc"
