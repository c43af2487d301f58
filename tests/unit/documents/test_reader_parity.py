"""The document page shows what the agency's viewer shows (issue 23): on every agency example,
our page's visible text covers ≥ 95 % of the words of CDA-FO.xsl's output; given names are
never repeated; every embedded PDF is reachable; no section with text renders empty, and one
too large for markup shows its text with a notice. The narrative renderer's output is safe by
construction (no sanitiser pass after it): a hostile narrative yields only the elements and
attributes it writes itself."""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from lxml import etree
from lxml import html as lxml_html

from apps.documents.cda import cda_read
from apps.documents.narrative import media_index, narrative_html
from apps.flows.documents import DocumentCard, document_media_get, document_sections_html
from tests.conftest import SHARED_FIXTURES, shared_fixture
from tests.unit.documents import builders

V3 = "urn:hl7-org:v3"
EXAMPLES = SHARED_FIXTURES / "cda" / "ans-TestContenuCDA-3-0"


def _examples() -> list[Path]:
    return sorted(EXAMPLES.glob("*.xml")) if EXAMPLES.is_dir() else []


def _page(data: bytes, files: dict[str, bytes] | None = None) -> tuple[str, list]:  # type: ignore[type-arg]
    document = cda_read(data)
    card = DocumentCard(key="2-1", filename="DOC0001.XML", document=document, files=files or {})
    sections = document_sections_html(card=card, media_url="/doc/image/__CID__/", file_url="/doc/lie/__FILE__/")
    with translation.override("fr"):
        page = render_to_string("webmail/_document_body.html", {
            "document": document, "card": card, "sections": sections, "toc": len(sections) >= 4,
            "file_url": "/doc/fichier/"})
    return page, sections


def _visible_words(root: etree._Element) -> set[str]:
    for hidden in root.xpath('//*[local-name()="style" or local-name()="script" or local-name()="head"]'):
        hidden.getparent().remove(hidden)
    return set(re.findall(r"\w+", " ".join(root.itertext()).lower()))


def _viewer() -> Path:
    """The agency's viewer stylesheet (FeuilleDeStyle/CDA-FO.xsl, XSLT 1, with its
    cda_l10n.xml and cda_narrativeblock.xml beside it)."""
    given = os.environ.get("MSSANTE_CDA_VIEWER_XSL")
    if given and Path(given).is_file():
        return Path(given)
    return shared_fixture("cda", "ans-TestContenuCDA-3-0", "FeuilleDeStyle", "CDA-FO.xsl")


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/fixtures/cda is not beside this checkout")
def test_the_page_covers_what_the_agency_viewer_shows() -> None:
    viewer = etree.XSLT(etree.parse(str(_viewer())))
    compared = 0
    short: dict[str, float] = {}
    for path in _examples():
        data = path.read_bytes()
        try:
            reference = viewer(etree.fromstring(data))
        except etree.XSLTApplyError:
            continue
        if reference.getroot() is None:
            continue  # a self-presentable document: the viewer does not read it
        theirs = _visible_words(reference.getroot())
        ours = _visible_words(lxml_html.fromstring(_page(data)[0]))
        coverage = len(theirs & ours) / len(theirs)
        compared += 1
        if coverage < 0.95:
            short[path.name] = round(coverage, 3)
    assert compared >= 25 and short == {}


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/fixtures/cda is not beside this checkout")
def test_examples_given_names_once_pdfs_reachable_no_empty_section(caplog: pytest.LogCaptureFixture) -> None:
    pdfs = 0
    for path in _examples():
        data = path.read_bytes()
        document = cda_read(data)
        names = [n.casefold() for n in document.patient.given_names]
        assert len(names) == len(set(names)), (path.name, document.patient.given_names)
        page, sections = _page(data)
        shown = " ".join(document.patient.given_names)
        assert shown in page and f"{shown} {shown}" not in page, path.name
        # every section whose narrative has text shows something
        narratives = [s for s in _all_sections(document.sections)]
        for section, view in zip(narratives, sections, strict=True):
            text = "".join(section.narrative.itertext()).strip() if section.narrative is not None else ""
            if text:
                assert view.html.strip() or view.text.strip(), (path.name, section.title)
        # every embedded PDF a narrative shows is reachable, in the viewer and for download
        card = DocumentCard(key="2-1", filename="x", document=document)
        media = media_index(document.root)
        for ref in _rendered_refs(document.root):
            if media.get(ref, ("", ""))[0] == "application/pdf":
                found = document_media_get(card=card, ref=ref)
                assert found is not None and found[0].startswith(b"%PDF-"), (path.name, ref)
                assert f'src="/doc/image/{ref}/"' in page, (path.name, ref)
                pdfs += 1
    assert pdfs > 10  # the agency's examples embed their PDF copy in many narratives


def _all_sections(sections: tuple) -> list:  # type: ignore[type-arg]
    found = []
    for section in sections:
        found.append(section)
        found.extend(_all_sections(section.sections))
    return found


def _rendered_refs(root: etree._Element | None) -> set[str]:
    if root is None:
        return set()
    return {ref for element in root.iter(f"{{{V3}}}renderMultiMedia")
            for ref in (element.get("referencedObject") or "").split()}


def _section(narrative: str) -> bytes:
    return builders.n3_sections([("Section", narrative)])


def test_a_table_too_large_for_markup_shows_its_text_and_a_notice(caplog: pytest.LogCaptureFixture) -> None:
    rows = "".join(f"<tr><td>Ligne {n}</td><td>{n * 3} mg</td></tr>" for n in range(20_000))
    data = _section(f"<table><tbody>{rows}</tbody></table>")
    with caplog.at_level(logging.INFO, logger="apps.flows.documents"):
        page, sections = _page(data)
    assert sections[0].html == "" and "Ligne 19999 59997 mg" in sections[0].text
    assert "trop volumineuse pour être mise en page" in page and "Ligne 0 0 mg" in page
    assert any("shown as text" in r.getMessage() for r in caplog.records)


def test_bold_italics_footnotes_and_package_links() -> None:
    narrative = ('<paragraph><content styleCode="BoldItalics">Allergie</content> à la pénicilline'
                 '<footnote ID="fn1">Confirmée en 2019</footnote></paragraph>'
                 '<paragraph><footnoteRef IDREF="fn1"/> <linkHtml href="IMAGE01.JPG">la radio</linkHtml> '
                 '<linkHtml href="ABSENT.PDF">absent</linkHtml> <linkHtml href="../ETC/PASSWD">évasion</linkHtml>'
                 '</paragraph>')
    page, sections = _page(_section(narrative), files={"IMAGE01.JPG": b"\xff\xd8\xff"})
    html = sections[0].html
    assert '<span class="cda-bold cda-italics">Allergie</span>' in html
    anchor = re.search(r'<li id="([^"]+)">Confirmée en 2019</li>', html)
    assert anchor is not None and html.count(f'href="#{anchor.group(1)}"') == 2  # the note and its reference
    assert '<a href="/doc/lie/IMAGE01.JPG/" rel="noopener">la radio</a>' in html
    assert "absent" in html and "ABSENT.PDF" not in html and "PASSWD" not in html


HOSTILE = [
    '<paragraph onclick="x()"><script>alert(1)</script>texte</paragraph>',
    '<linkHtml href="javascript:alert(1)">clic</linkHtml><linkHtml href=" JaVaScRiPt:alert(1)">b</linkHtml>',
    '<linkHtml href="https://a.example/&quot;onmouseover=&quot;x">c</linkHtml>',
    '<content ID="a&quot; onload=&quot;x" styleCode="Bold&quot;onload">d</content>',
    '<table><tr><td colspan="2&quot; onclick=&quot;x" rowspan="99999999999">e</td></tr></table>',
    '<renderMultiMedia referencedObject="m1&quot;&gt;&lt;script&gt;"/><footnote ID="&lt;b&gt;">f</footnote>',
    '<list><item><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example"/>g</item></list>',
    '<paragraph>&lt;img src=x onerror=alert(1)&gt;</paragraph><br style="x:expression(alert(1))"/>',
]
ALLOWED = {
    "p": set(), "span": {"id", "class"}, "br": set(), "sub": set(), "sup": set(), "strong": {"class"},
    "ul": {"class"}, "ol": {"class"}, "li": {"id", "class"}, "table": {"class"}, "caption": set(),
    "colgroup": set(), "col": {"span"}, "thead": set(), "tbody": set(), "tfoot": set(), "tr": set(),
    "th": {"colspan", "rowspan", "class"}, "td": {"colspan", "rowspan", "class"},
    "a": {"href", "rel", "target"}, "img": {"class", "src", "alt"},
    "iframe": {"class", "src", "title"},
}


@pytest.mark.parametrize("narrative", HOSTILE)
def test_hostile_narratives_yield_only_what_the_renderer_writes(narrative: str) -> None:
    text = etree.fromstring(f'<text xmlns="{V3}">{narrative}</text>')
    rendered = narrative_html(text, media={"m1": ("image/png", "iVBORw0KGgo=")})
    fragment = lxml_html.fragment_fromstring(f"<div>{rendered}</div>")
    for element in fragment.iter():
        if element is fragment:
            continue
        assert element.tag in ALLOWED, (element.tag, rendered)
        assert set(element.attrib) <= ALLOWED[element.tag], (element.tag, element.attrib)
        for name in ("href", "src"):
            value = element.get(name, "")
            assert not value or value.startswith(("#", "http://", "https://", "mailto:", "cid:", "pkg:")), value
        for name in ("id", "class"):
            assert re.fullmatch(r"[A-Za-z0-9_\- ]*", element.get(name, "")), element.get(name)
        assert int(element.get("colspan", "1")) <= 1000 and int(element.get("rowspan", "1")) <= 1000
    assert Counter(t.tag for t in fragment.iter()).get("script") is None


def test_an_author_that_is_a_device_or_an_organisation_shows_as_such() -> None:
    device = builders.n1_pdf().replace(
        b"<assignedPerson>", b"<assignedAuthoringDevice><manufacturerModelName>Automate XR</manufacturerModelName>"
        b"<softwareName>LabSoft 4</softwareName></assignedAuthoringDevice><!--").replace(
        b"</assignedPerson>", b"-->")
    author = cda_read(device).authors[0]
    assert (author.name, author.kind) == ("LabSoft 4 Automate XR", "device")
    page, _ = _page(device)
    assert "Logiciel : LabSoft 4 Automate XR" in page and "— " not in page.split("document-when")[1][:200]
    organisation = builders.n1_pdf().replace(b"<assignedPerson>", b"<!--").replace(b"</assignedPerson>", b"-->")
    author = cda_read(organisation).authors[0]
    assert author.kind == "organisation" and author.name == "Laboratoire des Tilleuls" and author.organisation == ""
