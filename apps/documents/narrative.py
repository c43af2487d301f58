"""A CDA narrative block (``section/text``) as HTML, by our own walk of the tree: no XSLT
(the reference stylesheets have had script-injection holes, and one that came in a message
is never run). Every element of the narrative schema maps to one HTML element or to its
text; attributes are rebuilt, never copied (classes from a fixed map, spans as bounded
integers, IDs reduced to ``[A-Za-z0-9_-]``), text and URLs are escaped: the output is safe by
construction, which a property test checks on hostile narratives (issue 23: the mail
sanitiser's pass cost more than the agency's whole viewer and dropped footnote anchors).
``cid:`` (the document's media) and ``pkg:`` (a file of the same package) references are
left for the page to point at its own URLs. A narrative past ``ELEMENTS_MAX`` elements raises
``NarrativeTooLarge``: the page then shows its text with a notice, never an empty section.

- paragraph, content (styleCode → classes), br, sub, sup, caption;
- list (ordered or not) / item; table, caption, colgroup, col, thead, tbody, tfoot, tr,
  th, td with their spans (bounded);
- footnote (collected and numbered at the end), footnoteRef (a link to it);
- linkHtml: an external link only for http, https and mailto, with its target shown;
- linkHtml to a file of the same package (a relative name the package holds): ``pkg:``;
- renderMultiMedia: the observationMedia it references, as an image (a ``cid:`` the page
  serves), for PNG, JPEG and GIF given in base64 only; an embedded PDF in the sandboxed
  viewer, with a link to download it.
"""

from __future__ import annotations

import base64
import binascii
import html
from dataclasses import dataclass, field

from lxml import etree

V3 = "{urn:hl7-org:v3}"
STYLES = {"bold": "cda-bold", "italics": "cda-italics", "underline": "cda-underline",
          "bolditalics": "cda-bold cda-italics", "boldunderline": "cda-bold cda-underline",
          "italicsunderline": "cda-italics cda-underline",
          "emphasis": "cda-emphasis", "lrule": "cda-lrule", "rrule": "cda-rrule", "toprule": "cda-toprule",
          "botrule": "cda-botrule",
          "xcellhorizcenter": "cda-center", "xcellhorizright": "cda-right"}
SIMPLE = {"paragraph": "p", "sub": "sub", "sup": "sup", "thead": "thead", "tbody": "tbody", "tfoot": "tfoot",
          "tr": "tr", "item": "li", "colgroup": "colgroup"}
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
IMAGE_MAX_BYTES = 2 * 1024 * 1024
PDF_MAX_BYTES = 20 * 1024 * 1024
ELEMENTS_MAX = 60_000  # a 20,000-row table is past it: shown as text, with a notice
LINK_SCHEMES = ("http://", "https://", "mailto:")
SPAN_MAX = 1000


class NarrativeTooLarge(Exception):
    """The narrative has more elements than a page shows as markup."""


@dataclass
class _Context:
    media: dict[str, tuple[str, str]]  # observationMedia ID → (media type, base64)
    files: frozenset[str] = frozenset()  # upper-cased names of the package's other files
    elements: int = 0
    footnotes: list[tuple[str, str]] = field(default_factory=list)  # (anchor, html)
    footnote_ids: dict[str, int] = field(default_factory=dict)


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag[len(V3):] if tag.startswith(V3) else ""


def _classes(element: etree._Element) -> str:
    names = [STYLES[s.lower()] for s in (element.get("styleCode") or "").split() if s.lower() in STYLES]
    return f' class="{" ".join(names)}"' if names else ""


def _span(element: etree._Element, name: str) -> str:
    value = element.get(name) or ""
    return f' {name}="{min(int(value), SPAN_MAX)}"' if value.isdigit() and int(value) > 1 else ""


def _anchor(value: str) -> str:
    value = value[:64]
    if value.replace("-", "").replace("_", "").isalnum():  # the usual ID: nothing to replace
        return "cda-" + value
    return "cda-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in value)


def media_index(root: etree._Element | None) -> dict[str, tuple[str, str]]:
    """The document's observationMedia by ID (what renderMultiMedia points at)."""
    found: dict[str, tuple[str, str]] = {}
    if root is None:
        return found
    for media in root.iter(f"{V3}observationMedia"):
        value = media.find(f"{V3}value")
        ident = media.get("ID") or ""
        if ident and value is not None and (value.get("representation") or "").upper() == "B64":
            encoded = "".join("".join(value.itertext()).split())
            found[ident] = ((value.get("mediaType") or "").lower(), encoded)
    return found


def narrative_html(text: etree._Element | None, *, media: dict[str, tuple[str, str]] | None = None,
                   files: frozenset[str] = frozenset()) -> str:
    """The narrative block as HTML (footnotes last); ``NarrativeTooLarge`` past
    ``ELEMENTS_MAX`` elements."""
    if text is None:
        return ""
    context = _Context(media=media or {}, files=files)
    body = _children(text, context)
    if context.footnotes:
        notes = "".join(f'<li id="{anchor}">{content}</li>' for anchor, content in context.footnotes)
        body += f'<ol class="cda-footnotes">{notes}</ol>'
    return body


def _children(element: etree._Element, context: _Context) -> str:
    parts = [html.escape(element.text or "")]
    for child in element:
        parts.append(_element(child, context))
        parts.append(html.escape(child.tail or ""))
    return "".join(parts)


BLOCKS = frozenset({"paragraph", "tr", "item", "br", "caption", "list", "table", "footnote"})


def narrative_text(text: etree._Element | None) -> str:
    """The narrative's text alone, paragraphs, items and rows on their own lines, cells
    apart: what a section too large for markup shows. Depth is bounded by the parser."""
    if text is None:
        return ""
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        parts.append(element.text or "")
        for child in element:
            name = _local(child)
            parts.append("\n" if name in BLOCKS else " " if name in ("td", "th") else "")
            walk(child)
            parts.append("\n" if name in BLOCKS else "")
            parts.append(child.tail or "")

    walk(text)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _element(element: etree._Element, context: _Context) -> str:  # noqa: C901 - one branch per element
    context.elements += 1
    if context.elements > ELEMENTS_MAX:
        raise NarrativeTooLarge(f"more than {ELEMENTS_MAX} elements")
    name = _local(element)
    inner = _children  # rendered lazily: footnotes and media need no content
    if name in SIMPLE:
        tag = SIMPLE[name]
        return f"<{tag}{_classes(element)}>{inner(element, context)}</{tag}>"
    if name == "content":
        anchor = f' id="{_anchor(element.get("ID") or "")}"' if element.get("ID") else ""
        return f"<span{anchor}{_classes(element)}>{inner(element, context)}</span>"
    if name == "br":
        return "<br>"
    if name == "caption":
        return f'<strong class="cda-caption">{inner(element, context)}</strong> '
    if name == "list":
        tag = "ol" if (element.get("listType") or "").lower() == "ordered" else "ul"
        caption = element.find(f"{V3}caption")
        head = f'<p class="cda-caption">{inner(caption, context)}</p>' if caption is not None else ""
        items = "".join(_element(item, context) for item in element.findall(f"{V3}item"))
        return f"{head}<{tag}{_classes(element)}>{items}</{tag}>"
    if name == "table":
        caption = element.find(f"{V3}caption")
        head = f"<caption>{inner(caption, context)}</caption>" if caption is not None else ""
        rest = "".join(_element(child, context) for child in element if _local(child) != "caption")
        return f'<table class="cda-table">{head}{rest}</table>'
    if name in ("th", "td"):
        return f"<{name}{_span(element, 'colspan')}{_span(element, 'rowspan')}{_classes(element)}>" \
               f"{inner(element, context)}</{name}>"
    if name == "col":
        return f"<col{_span(element, 'span')}>"
    if name == "footnote":
        number = len(context.footnotes) + 1
        anchor = _anchor(element.get("ID") or f"note-{number}")
        context.footnote_ids[element.get("ID") or anchor] = number
        context.footnotes.append((anchor, inner(element, context)))
        return f'<sup><a href="#{anchor}">{number}</a></sup>'
    if name == "footnoteRef":
        ref = element.get("IDREF") or ""
        known = context.footnote_ids.get(ref)
        return f'<sup><a href="#{_anchor(ref)}">{known or "*"}</a></sup>' if ref else ""
    if name == "linkHtml":
        label = inner(element, context)
        href = (element.get("href") or "").strip()
        if href.lower().startswith(LINK_SCHEMES):
            shown = html.escape(href)
            target = f' <span class="cda-link-target">({shown})</span>' if label and label != shown else ""
            return (f'<a href="{shown}" rel="noopener noreferrer nofollow" target="_blank">'
                    f'{label or shown}</a>{target}')
        if href.startswith("#"):
            return f'<a href="#{_anchor(href[1:])}">{label}</a>'
        sibling = href.replace("\\", "/").rsplit("/", 1)[-1]
        if sibling and sibling.upper() in context.files and ":" not in href and ".." not in href:
            shown = html.escape(sibling)
            return f'<a href="pkg:{html.escape(sibling.upper())}" rel="noopener">{label or shown}</a>'
        return label
    if name == "renderMultiMedia":
        references = (element.get("referencedObject") or "").split()
        return "".join(_image(ref, element, context) for ref in references)
    return inner(element, context)  # unknown: its text, never its markup


def _image(ref: str, element: etree._Element, context: _Context) -> str:
    caption = element.find(f"{V3}caption")
    alt = html.escape(" ".join("".join(caption.itertext()).split())) if caption is not None else ""
    is_pdf = context.media.get(ref, ("", ""))[0] == "application/pdf"
    if is_pdf and media_file(context.media, ref) is not None:
        title = alt or html.escape(ref)
        return (f'<span class="cda-media-pdf"><iframe class="document-viewer" src="cid:{html.escape(ref)}" '
                f'title="{title}"></iframe><a class="button-link" href="cid:{html.escape(ref)}" '
                f'download="{html.escape(_anchor(ref))}.pdf">{title} (PDF)</a></span>')
    if media_image(context.media, ref) is None:
        return ""
    # A cid: reference: the mail sanitiser rewrites it to the page's media URL, where the
    # site serves the decoded image (``media_image``); no data: URL in the page.
    return f'<img class="cda-media" src="cid:{html.escape(ref)}" alt="{alt}">'


def media_image(media: dict[str, tuple[str, str]], ref: str) -> tuple[bytes, str] | None:
    """The image ``ref`` names, decoded, with its type; None unless PNG, JPEG or GIF in
    valid base64 under the size cap."""
    media_type, data = media.get(ref, ("", ""))
    if media_type not in IMAGE_TYPES or not data or len(data) > IMAGE_MAX_BYTES * 4 // 3 + 4:
        return None
    return _decoded(data, media_type)


def media_file(media: dict[str, tuple[str, str]], ref: str) -> tuple[bytes, str] | None:
    """What ``ref`` names, decoded: an image as ``media_image`` says, or a PDF (starting
    as one, under its cap) for the sandboxed viewer."""
    media_type, data = media.get(ref, ("", ""))
    if media_type != "application/pdf":
        return media_image(media, ref)
    if not data or len(data) > PDF_MAX_BYTES * 4 // 3 + 4:
        return None
    decoded = _decoded(data, media_type)
    return decoded if decoded is not None and decoded[0].startswith(b"%PDF-") else None


def _decoded(data: str, media_type: str) -> tuple[bytes, str] | None:
    try:
        return base64.b64decode(data, validate=True), media_type
    except (binascii.Error, ValueError):
        return None
