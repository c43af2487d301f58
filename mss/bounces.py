"""Why a message was not delivered, from a delivery report (DSN, RFC 3464): the kinds Mon
espace santé answers a professional with (CNAM "ENS Messagerie" v1.3: the patient's mailbox
is closed, the patient is unknown, the address is invalid, the message is over 25 MB), read
from the enhanced status code (RFC 3463) and, failing that, the server's own words.

No sample of Mon espace santé's reports is public: the status codes are the standard ones
for each case, and the words checked are those either language uses. The text is bounded
and searched with plain substring tests, never a pattern."""

from __future__ import annotations

CLOSED, UNKNOWN, INVALID, TOO_LARGE = "closed", "unknown", "invalid", "too_large"

_BY_STATUS = {"5.2.1": CLOSED, "4.2.1": CLOSED, "5.1.1": UNKNOWN, "5.1.6": UNKNOWN, "5.1.3": INVALID,
              "5.1.2": INVALID, "5.3.4": TOO_LARGE, "5.2.3": TOO_LARGE, "4.3.4": TOO_LARGE}
_BY_WORDS = (
    (CLOSED, ("closed", "fermé", "ferme", "clôtur", "clotur", "disabled", "désactiv", "desactiv")),
    (TOO_LARGE, ("too big", "too large", "size", "taille", "25 mo", "25 mb", "volumineux")),
    (INVALID, ("invalid", "invalide", "syntax", "syntaxe", "malformed")),
    (UNKNOWN, ("unknown", "inconnu", "not found", "no such", "introuvable")),
)


def bounce_kind(*, status: str, diagnostic: str) -> str:
    """One of the kinds above, or "" when the report says nothing a person could act on."""
    code = status.strip()[:16]
    if code in _BY_STATUS:
        return _BY_STATUS[code]
    words = diagnostic[:500].casefold()
    for kind, needles in _BY_WORDS:
        if any(needle in words for needle in needles):
            return kind
    return ""
