"""What the compose editor may send as HTML, and its text/plain alternative (pure Python).

The editor offers bold, italic, underline, lists, links and quotes; anything else a browser
or a paste brings (styles, images, scripts, classes) is dropped here, on the server, whatever
the client did. The text alternative is derived from the cleaned HTML, not taken from the
browser, so both parts always say the same thing.
"""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from urllib.parse import urlsplit

import bleach

from .sanitize import SANITIZE_BUDGET_SECONDS, SanitizeBudgetExceeded, budgeted_clean, drop_raw_elements

logger = logging.getLogger(__name__)
TAGS = frozenset({"a", "b", "strong", "i", "em", "u", "ul", "ol", "li", "p", "br", "div",
                  "blockquote"})
SCHEMES = frozenset({"http", "https", "mailto", "tel"})
MAX_CHARS = 400_000


def _href(tag: str, name: str, value: str) -> bool:
    return tag == "a" and name == "href" and urlsplit(value.strip()).scheme.lower() in SCHEMES


def compose_html_clean(source: str) -> str:
    """The editor's HTML reduced to the tags it offers; links only http(s), mailto, tel."""
    source = drop_raw_elements(source[:MAX_CHARS])  # script, style...: content dropped too
    cleaner = bleach.Cleaner(tags=TAGS, attributes=_href, protocols=SCHEMES, strip=True,
                             strip_comments=True)
    try:
        return budgeted_clean(cleaner, source, SANITIZE_BUDGET_SECONDS).strip()
    except SanitizeBudgetExceeded:  # no editor makes this: the text version stands alone
        logger.warning("rich text of %d characters over the cleaning budget: sent as plain text",
                       len(source))
        return ""


class _Text(HTMLParser):
    BLOCKS = frozenset({"p", "div", "blockquote", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # [counter] per open list; -1 for bullets
        self.quote = 0
        self.href = ""

    def _newline(self) -> None:
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag in ("ul", "ol"):
            self._newline()
            self.lists.append([0 if tag == "ol" else -1])
        elif tag == "li":
            self._newline()
            counter = self.lists[-1] if self.lists else [-1]
            if counter[0] >= 0:
                counter[0] += 1
            indent = "  " * max(0, len(self.lists) - 1)
            self.out.append(f"{indent}{counter[0]}. " if counter[0] >= 0 else f"{indent}- ")
        elif tag == "blockquote":
            self._newline()
            self.quote += 1
        elif tag in self.BLOCKS:
            self._newline()
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._newline()
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self._newline()
        elif tag in self.BLOCKS or tag == "li":
            self._newline()
        elif tag == "a" and self.href:
            text = self.out[-1] if self.out else ""
            if self.href.removeprefix("mailto:") not in text:
                self.out.append(f" <{self.href}>")
            self.href = ""

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_text(cleaned: str) -> str:
    """The text/plain alternative of cleaned editor HTML: lists as "- " or "1. ", links
    followed by their address, quotes prefixed with "> "."""
    parser = _Text()
    parser.feed(cleaned)
    parser.close()
    text = "".join(parser.out)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
