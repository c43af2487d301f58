"""The addresses read from the "To" text field when compose.js did not turn them into chips."""

from __future__ import annotations

import pytest

from apps.webmail.forms import typed_addresses


@pytest.mark.parametrize(("typed", "expected"), [
    ("julien.petit@hopital.mssante.test", ["julien.petit@hopital.mssante.test"]),
    ("a@x.fr, b@y.fr;c@z.fr", ["a@x.fr", "b@y.fr", "c@z.fr"]),
    ("Julien PETIT <julien@h.fr>, Léa <lea@e.fr>", ["julien@h.fr", "lea@e.fr"]),
    ("a@x.fr b@y.fr", ["a@x.fr", "b@y.fr"]),
    ("  a@x.fr ;  ", ["a@x.fr"]),
    ("mor", []),  # a directory search, not an address
    ("", []),
    ("dupont, martin", []),
])
def test_typed_addresses(typed: str, expected: list[str]) -> None:
    assert typed_addresses(typed) == expected


def test_at_most_a_hundred() -> None:
    assert len(typed_addresses(", ".join(f"p{i}@x.fr" for i in range(500)))) == 100
