"""HTML mail → markup safe to show (pure Python).

Layered, because one layer always has holes: bleach keeps an allow-list of tags and
attributes; every ``style`` attribute is re-parsed with tinycss2 and only declarations of
allowed properties whose values hold no function but colours, no URL, no escape and no
``expression`` survive; URLs are limited to http(s), mailto, tel and the message's own
``cid:`` parts; remote images are held back until the reader asks for them. The result
is then shown in a sandboxed iframe (no scripts, no same-origin) under its own strict CSP.
"""

from __future__ import annotations

import html
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import bleach
import tinycss2
from bleach import html5lib_shim
from bleach.css_sanitizer import CSSSanitizer
from bleach.linkifier import build_email_re, build_url_re

POLICY_VERSION = 1  # bump to invalidate every cached sanitised body

TAGS = frozenset({
    "a", "abbr", "address", "b", "bdi", "bdo", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
    "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "wbr"})
COMMON = ["style", "class", "dir", "lang", "title", "align", "valign", "width", "height",
          "bgcolor", "color"]
ATTRIBUTES = {
    "*": COMMON,
    "a": [*COMMON, "href", "name"],
    "img": [*COMMON, "src", "alt", "border"],
    "table": [*COMMON, "border", "cellpadding", "cellspacing", "summary", "role"],
    "td": [*COMMON, "colspan", "rowspan", "nowrap"],
    "th": [*COMMON, "colspan", "rowspan", "nowrap", "scope"],
    "col": [*COMMON, "span"], "colgroup": [*COMMON, "span"],
    "font": [*COMMON, "face", "size"], "ol": [*COMMON, "start", "type"],
    "time": [*COMMON, "datetime"],
}
CSS_PROPERTIES = frozenset({
    "background", "background-color", "border", "border-bottom", "border-collapse", "border-color",
    "border-left", "border-radius", "border-right", "border-spacing", "border-style",
    "border-top", "border-width", "color", "direction", "display", "font", "font-family",
    "font-size", "font-style", "font-variant", "font-weight", "height", "letter-spacing",
    "line-height", "list-style-type", "margin", "margin-bottom", "margin-left", "margin-right",
    "margin-top", "max-width", "min-width", "padding", "padding-bottom", "padding-left",
    "padding-right", "padding-top", "text-align", "text-decoration", "text-indent",
    "text-transform", "vertical-align", "white-space", "width", "word-break", "word-wrap"})
CSS_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla"})
SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_DANGEROUS_VALUE = re.compile(r"expression|javascript|vbscript|behavior|-moz-binding|@import|\\",
                              re.IGNORECASE)
RAW_ELEMENTS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
                "title", "textarea", "xmp", "noembed", "noframes")
_RAW_OPENING = re.compile(r"<(" + "|".join(RAW_ELEMENTS) + r")\b", re.IGNORECASE)


def drop_raw_elements(source: str) -> str:
    """Raw-text and foreign-content elements removed with their content: they are where
    mutation XSS hides (noscript, svg, math, style, template...), and their text is no
    message. One pass, left to right: each element's end is looked for once, from its
    start, and an element never closed takes the rest of the document with it (as a
    browser's script or style would). The regular expression this replaces tried a lazy
    match to the end of the document at every opening tag: quadratic in "<svg" repeated."""
    lowered = source.lower()
    kept: list[str] = []
    position = 0
    while (opening := _RAW_OPENING.search(source, position)) is not None:
        kept.append(source[position:opening.start()])
        name = opening.group(1).lower()
        end = _closing_end(lowered, "</" + name, opening.end())
        if end < 0:
            return "".join(kept)
        position = end
    kept.append(source[position:])
    return "".join(kept)


def _closing_end(lowered: str, marker: str, start: int) -> int:
    """Where the first ``</name  >`` at or after ``start`` ends, or -1."""
    found = lowered.find(marker, start)
    while found >= 0:
        after = found + len(marker)
        while after < len(lowered) and lowered[after].isspace():
            after += 1
        if lowered.startswith(">", after):
            return after + 1
        found = lowered.find(marker, after)
    return -1


SANITIZE_BUDGET_SECONDS = 0.95  # past it, the caller shows the text part (issue: <= 1 s a body)


@dataclass(frozen=True)
class SanitizedHtml:
    html: str
    remote_images: int  # images held back (or, with allow_remote, shown)
    truncated: bool
    over_budget: bool = False  # gave up: ``html`` is empty, show the text part


class SanitizeBudgetExceeded(Exception):
    """Cleaning this HTML took longer than its budget."""


class _BudgetTokenizer(html5lib_shim.BleachHTMLTokenizer):  # type: ignore[misc]
    deadline = math.inf

    def __iter__(self) -> Iterator[Any]:
        for count, token in enumerate(super().__iter__()):
            if not count & 63 and time.monotonic() > self.deadline:
                raise SanitizeBudgetExceeded
            yield token


class _BudgetParser(html5lib_shim.BleachHTMLParser):  # type: ignore[misc]
    """bleach's parser, whose tokens stop coming once the deadline passes. html5lib's tree
    builder is quadratic on some shapes a sender controls (20,000 nested <div>: 16 s, a tag
    with 50,000 attributes: 3 s): every token is where the time goes, so every 64 tokens the
    clock is read. ``_parse`` is bleach's own (6.x), with this tokenizer."""

    deadline = math.inf

    def _parse(self, stream: Any, innerHTML: bool = False, container: str = "div",  # noqa: N803
               scripting: bool = True, **kwargs: Any) -> None:
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = _BudgetTokenizer(stream=stream, consume_entities=self.consume_entities,
                                          parser=self, **kwargs)
        self.tokenizer.deadline = self.deadline
        self.reset()
        try:
            self.mainLoop()
        except html5lib_shim.ReparseException:
            self.reset()
            self.mainLoop()


def _deadline_filter(deadline: float) -> type:
    """An html5lib filter stopping the walk of the parsed tree past ``deadline``: html5lib's
    tree walker is quadratic too, on wide sibling lists (4,000 misnested <b><i><u>: 0.7 s
    after a parse of 0.1 s)."""
    class Deadline(html5lib_shim.Filter):  # type: ignore[misc]
        def __iter__(self) -> Iterator[Any]:
            for count, token in enumerate(super().__iter__()):
                if not count & 63 and time.monotonic() > deadline:
                    raise SanitizeBudgetExceeded
                yield token
    return Deadline


def budgeted_clean(cleaner: bleach.Cleaner, source: str, budget: float) -> str:
    """``cleaner.clean(source)``, or ``SanitizeBudgetExceeded`` after about ``budget`` s:
    the clock is read while parsing and while walking the tree."""
    deadline = time.monotonic() + budget
    parser = _BudgetParser(tags=cleaner.tags, strip=cleaner.strip, consume_entities=False,
                           namespaceHTMLElements=False)
    parser.deadline = deadline
    cleaner.parser = parser
    cleaner.filters = [*cleaner.filters, _deadline_filter(deadline)]
    return str(cleaner.clean(source))


def clean_style(style: str) -> str:
    """Allowed declarations only, each with a value free of URLs, escapes and functions."""
    kept = []
    for declaration in tinycss2.parse_declaration_list(style, skip_comments=True,
                                                       skip_whitespace=True):
        if declaration.type != "declaration":
            continue
        name = declaration.lower_name
        if name not in CSS_PROPERTIES:
            continue
        value = tinycss2.serialize(declaration.value).strip()
        if not value or _DANGEROUS_VALUE.search(value):
            continue
        if any(_unsafe_token(token) for token in declaration.value):
            continue
        kept.append(f"{name}: {value}{' !important' if declaration.important else ''}")
    return "; ".join(kept)


def _unsafe_token(token: object) -> bool:
    kind = getattr(token, "type", "")
    if kind == "url":
        return True
    if kind == "function":
        if getattr(token, "lower_name", "") not in CSS_FUNCTIONS:
            return True
        return any(_unsafe_token(t) for t in getattr(token, "arguments", []))
    return kind in ("() block", "[] block", "{} block")


# Character references as a browser reads them in an attribute: with their semicolon (a
# legacy name without one, as in "?a=1&copy=2", stays text there).
_ATTR_REFERENCE = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});")


def attribute_unescape(value: str) -> str:
    return _ATTR_REFERENCE.sub(lambda m: html.unescape(m.group(0)), value)


def _safe_url(value: str, *, image: bool, allow_remote: bool, cid_url: str | None) -> str | None:
    value = attribute_unescape(value).strip()
    compact = re.sub(r"[\x00-\x20\x7f]+", "", value)
    scheme = urlsplit(compact).scheme.lower()
    if scheme == "cid" and image and cid_url:
        return cid_url.replace("__CID__", quote(compact[4:].strip("<>"), safe=""))
    if image:
        if scheme in ("http", "https") and allow_remote:
            return compact
        return None
    if scheme in SCHEMES:
        return compact
    if not scheme and compact.startswith("#"):
        return compact
    return None


def sanitize_html(source: str, *, allow_remote: bool = False, cid_url: str | None = None,
                  max_chars: int = 400_000, budget: float = SANITIZE_BUDGET_SECONDS) -> SanitizedHtml:
    """``cid_url``: where ``cid:`` images are served, with ``__CID__`` for the id. Work is
    bounded twice: ``max_chars`` of the source, and ``budget`` seconds of cleaning, past which
    the result says ``over_budget`` (the caller shows the text part)."""
    truncated = len(source) > max_chars
    if truncated:
        source = source[:max_chars]
    source = drop_raw_elements(source)

    def attribute_filter(tag: str, name: str, value: str) -> bool:
        return name in ATTRIBUTES.get(tag, []) or name in ATTRIBUTES["*"]

    rewrite = _rewrite_filter(allow_remote=allow_remote, cid_url=cid_url)
    cleaner = bleach.Cleaner(tags=TAGS, attributes=attribute_filter, protocols=list(SCHEMES) + ["cid"],
                             strip=True, strip_comments=True, filters=[rewrite],
                             css_sanitizer=_ReferenceAwareCSS(allowed_css_properties=CSS_PROPERTIES))
    try:
        cleaned = budgeted_clean(cleaner, source, budget)
    except SanitizeBudgetExceeded:
        return SanitizedHtml(html="", remote_images=0, truncated=truncated, over_budget=True)
    return SanitizedHtml(html=cleaned, remote_images=rewrite.remote, truncated=truncated)


class _ReferenceAwareCSS(CSSSanitizer):  # type: ignore[misc]
    """bleach hands the style attribute over with its character references undecoded
    (its parser keeps them): the ``;`` of ``&quot;`` then ended the declaration and
    ``font-family: &quot;Segoe UI&quot;, Arial`` lost everything after it."""

    def sanitize_css(self, style: str) -> str:
        return str(super().sanitize_css(attribute_unescape(style)))


Attrs = dict[tuple[str | None, str], str]


def _rewrite_attributes(tag: str, attrs: Attrs, *, allow_remote: bool,
                        cid_url: str | None) -> tuple[Attrs, int]:
    """Styles, URLs, link targets and remote images of one element, on the parsed tree:
    values are the source's text (entities not decoded, bleach's parser keeps them), so
    they are unescaped to be judged and escaped again when set."""
    values: Attrs = dict(attrs)
    remote = 0
    style_key = (None, "style")
    if style_key in values:
        style = clean_style(attribute_unescape(values[style_key]))
        if style:
            values[style_key] = html.escape(style, quote=True)
        else:
            del values[style_key]
    if tag == "a":
        target = values.pop((None, "href"), None)
        safe = _safe_url(target, image=False, allow_remote=True, cid_url=None) if target else None
        if safe:
            values[(None, "href")] = html.escape(safe, quote=True)
            values[(None, "target")] = "_blank"
            values[(None, "rel")] = "noopener noreferrer nofollow"
            values[(None, "title")] = html.escape(safe, quote=True)  # the real target, on hover
    elif tag == "img":
        source = values.pop((None, "src"), None)
        if source:
            safe = _safe_url(source, image=True, allow_remote=allow_remote, cid_url=cid_url)
            if safe:
                values[(None, "src")] = html.escape(safe, quote=True)
                if safe.startswith(("http://", "https://")):
                    remote += 1
            elif urlsplit(attribute_unescape(source).strip()).scheme.lower() in ("http", "https"):
                remote += 1
                values[(None, "data-blocked")] = "1"
                values[(None, "alt")] = values.get((None, "alt")) or "image distante bloquée"
    return values, remote


def _rewrite_filter(*, allow_remote: bool, cid_url: str | None) -> Any:
    """An html5lib filter applying ``_rewrite_attributes`` to every start tag bleach kept.
    It works on tokens, not on the serialised string: a ``>`` inside an attribute value
    cannot make it misread where a tag ends. ``.remote`` counts remote images seen."""

    class Rewrite(html5lib_shim.Filter):  # type: ignore[misc]
        remote = 0

        def __iter__(self) -> Iterator[Any]:
            for token in super().__iter__():
                if token.get("type") in ("StartTag", "EmptyTag") and (
                        token.get("data") or token.get("name") in ("a", "img")):
                    token["data"], found = _rewrite_attributes(
                        token["name"], token.get("data") or {}, allow_remote=allow_remote,
                        cid_url=cid_url)
                    type(self).remote += found
                yield token

    return Rewrite


# Any TLD (bleach's default list misses many, and the devstack's .test): mail is not a web page.
_URL_RE = build_url_re(tlds=["[a-z]{2,63}"])
_EMAIL_RE = build_email_re(tlds=["[a-z]{2,63}"])


def text_to_html(text: str) -> str:
    """Plain text shown as text: escaped, line breaks kept, links made clickable."""
    escaped = html.escape(text)
    linker = bleach.Linker(callbacks=[_link_callback], parse_email=True, url_re=_URL_RE,
                           email_re=_EMAIL_RE)
    return "<pre class=\"plain\">" + linker.linkify(escaped) + "</pre>"


LinkAttrs = dict[tuple[str | None, str], str]


def _link_callback(attrs: LinkAttrs, new: bool = False) -> LinkAttrs:
    href = attrs.get((None, "href"), "")
    if urlsplit(href).scheme.lower() not in SCHEMES:
        attrs.pop((None, "href"), None)
        return attrs
    attrs[(None, "target")] = "_blank"
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    attrs[(None, "title")] = href
    return attrs

