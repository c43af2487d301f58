"""The fast header decoders the sync uses: same answers as the standard library on the
usual shapes, None rather than an exception on broken ones."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest

from mailproto.mime.headers import decode_text, parse_date, split_headers

USUAL_DATES = [
    b"Wed, 01 Jan 2025 00:00:00 +0000",
    b"Tue, 25 Mar 2025 09:15:42 +0100",
    b"Sun, 26 Oct 2025 02:30:00 +0200",   # the night the clocks go back in France
    b"1 Feb 2024 23:59:59 -0500",         # no weekday, one-digit day, a negative zone
    b"Thu, 29 Feb 2024 12:00 +0530",      # leap day, no seconds, a half-hour zone
    b"Mon, 31 Dec 2029 23:30:00 -0130",   # the zone carries the date into the next year
]


@pytest.mark.parametrize("raw", USUAL_DATES)
def test_dates_agree_with_the_standard_library(raw: bytes) -> None:
    expected = email.utils.parsedate_to_datetime(raw.decode()).astimezone(dt.UTC)
    assert parse_date(raw) == expected
    assert parse_date(raw) == expected  # again: the second answer comes from the caches


@pytest.mark.parametrize("raw", [b"Wed, 01 Jan 2025 25:00:00 +0000", b"Wed, 01 Jan 2025 10:61:00 +0000",
                                 b"Wed, 32 Jan 2025 10:00:00 +0000", b"Wed, 01 Foo 2025 10:00:00 +0000",
                                 b"hier soir", b"",
                                 # the zone pushes the date past the calendar's end (raised
                                 # OverflowError, and the folder's sync failed at every run)
                                 b"Fri, 31 Dec 9999 23:59:59 -0130", b"31 Dec 9999 23:59:59 -0130",
                                 b"Dec 31 9999 23:59:59 -0130", b"Mon, 01 Jan 0001 00:00:00 +0100"])
def test_impossible_dates_give_none(raw: bytes) -> None:
    assert parse_date(raw) is None


def test_date_without_zone_is_utc() -> None:
    assert parse_date(b"Wed, 01 Jan 2025 08:00:00") == dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC)


def test_split_headers_unfolds_and_keeps_the_first() -> None:
    block = b"Subject: Compte rendu\r\n de sortie\r\nFrom: a@x\r\nfrom: b@y\r\n\r\n"
    assert split_headers(block) == {b"subject": b"Compte rendu de sortie", b"from": b"a@x"}


def test_encoded_words() -> None:
    assert decode_text(b"=?utf-8?q?R=C3=A9sultats?= de =?iso-8859-1?q?biologie_=E9t=E9?=") == \
        "Résultats de biologie été"
    assert decode_text("Hélène".encode("latin-1")) == "Hélène"  # raw 8-bit, not UTF-8


@pytest.mark.parametrize("charset", [b"undefined", b"idna", b"zlib", b"utf-7", b"unicode_escape",
                                     b"no-such-charset", b"utf-8*fr"])
def test_hostile_charsets_give_text_never_an_exception(charset: bytes) -> None:
    # "undefined" and "idna" raised UnicodeError (no "replace" handler), which failed the
    # folder's sync at every run; UTF-7 and the escape codecs can make lone surrogates.
    text = decode_text(b"=?" + charset + b"?Q?caf=E9_+2AA-_=5Cud800?=")
    assert isinstance(text, str) and text.encode("utf-8")
    text = decode_text(b"Objet =?" + charset + b"?B?Y2Fm6SArMkFBLQ==?= suite")
    assert text.startswith("Objet ") and text.endswith(" suite") and text.encode("utf-8")
