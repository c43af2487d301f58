"""The words of a message for the local full-text index: its text parts and the text of
its HTML parts (no markup, no style or script content), its attachments' names, capped
(pure Python).

Only the message's first ``PREFIX`` bytes are fetched: the text comes before the
attachments in what mail clients write, and the index stays bounded whatever a sender
attaches. Parsing a cut message is what ``parse_message`` already does for broken mail.
"""

from __future__ import annotations

from html.parser import HTMLParser

from .message import parse_message

PREFIX = 64 * 1024  # bytes of each message fetched for the index
MAX_CHARS = 64 * 1024  # characters of text kept per message
_SKIPPED = frozenset({"script", "style", "head", "title", "template"})
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "table", "section", "article"})


class _Words(HTMLParser):
    """Text nodes outside script/style/head, a space at each block boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping and self.size < MAX_CHARS:
            self.parts.append(data)
            self.size += len(data)


def html_words(html: str) -> str:
    parser = _Words()
    parser.feed(html[:MAX_CHARS * 4])
    parser.close()
    return "".join(parser.parts)


def searchable_text(raw: bytes) -> str:
    """What the body index keeps of a message (``raw`` is its first ``PREFIX`` bytes or
    all of it): the words of its plain text if any, else of the HTML's text, then of the
    attachments' names, each once, in order of first appearance.

    Each word once: the search asks whether every typed word begins a word of the message
    (no phrase, no ranking), and a letter uses a few hundred distinct words over many KB,
    so the index stores a fraction of the text (bench/web.py: ``body_index_100k``)."""
    parsed = parse_message(raw[:PREFIX])
    text = parsed.text if parsed.text and parsed.text.strip() else html_words(parsed.html or "")
    names = " ".join(a.filename for a in parsed.attachments if a.filename)
    seen: dict[str, None] = {}
    for word in f"{text[:MAX_CHARS]} {names}".split():
        seen.setdefault(word.lower(), None)
    return " ".join(seen)[:MAX_CHARS]
