"""The one way received XML is parsed: lxml with no entities, no DTD, no network; a document
declaring a DTD is refused outright (billion laughs, external and parameter entities never
get a chance); ``huge_tree`` (text nodes over 10 MB, an N1's PDF) only under a size cap,
and then the depth is checked by us (lxml's own 256-level limit goes with ``huge_tree``)."""

from __future__ import annotations

from lxml import etree

from .errors import DocumentUnreadable

XML_MAX_BYTES = 40 * 1024 * 1024
HUGE_ABOVE = 8 * 1024 * 1024  # lxml refuses a text node over 10 MB without huge_tree
MAX_DEPTH = 200


def _parser(huge: bool) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=huge, remove_comments=True, remove_pis=True)


def xml_parse(data: bytes) -> etree._Element:
    """The root element of ``data``; ``DocumentUnreadable`` for anything not plain XML."""
    if len(data) > XML_MAX_BYTES:
        raise DocumentUnreadable("too_large", f"{len(data)} bytes")
    huge = len(data) > HUGE_ABOVE
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser(huge)))
    except etree.XMLSyntaxError as exc:
        reason = "too_deep" if "depth" in str(exc).lower() else "not_xml"
        raise DocumentUnreadable(reason, str(exc)[:200]) from exc
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DocumentUnreadable("dtd", docinfo.doctype[:200])
    root = tree.getroot()
    if huge:
        _check_depth(root)
    return root


def _check_depth(root: etree._Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentUnreadable("too_deep", f"deeper than {MAX_DEPTH}")
        stack.extend((child, depth + 1) for child in element)
