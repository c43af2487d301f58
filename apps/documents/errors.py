"""What goes wrong with a received document: a reason code (the site shows the French
sentence for it) and a detail for the operator's log. Pure Python: no translation here."""

from __future__ import annotations

REASON_CODES = frozenset({
    "not_xml", "too_large", "dtd", "too_deep", "not_cda",
    "not_zip", "zip_path", "zip_link", "zip_bomb", "zip_entries", "no_metadata", "metadata",
    # what we were asked to produce (apps.documents.produce)
    "control_character", "ins", "traits", "birth_place", "pdfa", "volet",
})


class DocumentUnreadable(Exception):
    """A document or package that is not shown; ``reason`` is one of ``REASON_CODES``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in REASON_CODES, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
