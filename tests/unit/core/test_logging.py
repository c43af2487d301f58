from __future__ import annotations

import logging

import pytest

from apps.core.logging import RedactSecretsFilter, redact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmOjEyMyJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmU"


@pytest.mark.parametrize("text", [
    f"token {JWT} in a sentence",
    "Authorization: Bearer abcdefghijklmnop.qrstuvwxyz",
    '{"refresh_token": "opaque-refresh-value-1234567"}',
    "user=a@b.test\x01auth=Bearer opaque-token-value\x01\x01",
    "access_token=abcdefgh12345678&x=1",
])
def test_tokens_are_masked(text: str) -> None:
    cleaned = redact(text)
    assert "[jeton masqué]" in cleaned
    for secret in (JWT, "abcdefghijklmnop", "opaque-refresh-value", "opaque-token-value",
                   "abcdefgh12345678"):
        assert secret not in cleaned


def test_ordinary_text_is_untouched() -> None:
    text = "IMAP server unavailable for claire.martin@medecin.mssante.test: timeout"
    assert redact(text) == text


def test_filter_masks_arguments_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed with %s", (JWT,), None)
    try:
        raise ValueError(JWT)
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactSecretsFilter().filter(record)
    assert JWT not in record.getMessage()
    assert JWT not in (record.exc_text or "")
