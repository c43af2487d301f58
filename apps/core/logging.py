"""Log redaction: PSC tokens must never reach a log line, whoever logs them."""

from __future__ import annotations

import logging
import re

# JWTs (header.payload.signature, base64url) and bearer or refresh values in any text.
_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:access|refresh|id)_token[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(auth=Bearer\s)[^\x01\s]+"),
]


def redact(text: str) -> str:
    text = _PATTERNS[0].sub("[jeton masqué]", text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(r"\1[jeton masqué]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record's message with tokens masked, arguments included."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the line
            message = str(record.msg)
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.msg, record.args = cleaned, None
        return True
