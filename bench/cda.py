#!/usr/bin/env python3
"""Our CDA render time per document (issue 13): parse with the hardened parser, read the
header, render every section's narrative (``apps.documents``), median of several runs, for
each sample of ../shared/fixtures/cda (when present) and the project's own test documents.

``--xsl PATH``: a reference stylesheet (HL7's CDA.xsl, ANS's cda_asip.xsl, kept outside the
repository) is also run through ``lxml.etree.XSLT`` on the same documents in the same run,
and the ratio printed.

The *page* path (issue 23): what the document page does — read the header and its details,
render the sections, lay out the header and sections with the page's templates — against
the agency's own viewer (``FeuilleDeStyle/CDA-FO.xsl``, XSLT 1 through lxml: ``--viewer``,
``MSSANTE_CDA_VIEWER_XSL`` or ../shared's copy when present) on every agency example, side
by side in one run: median and worst ratio. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.documents.cda import Section, cda_read  # noqa: E402
from apps.documents.errors import DocumentUnreadable  # noqa: E402
from apps.documents.narrative import media_index, narrative_html  # noqa: E402
from tests.unit.documents import builders  # noqa: E402

RUNS = 7
SHARED = ROOT.parent / "shared" / "fixtures" / "cda"


def render(data: bytes) -> str:
    document = cda_read(data)
    media = media_index(document.root)

    def walk(sections: tuple[Section, ...]) -> str:
        return "".join(narrative_html(s.narrative, media=media) + walk(s.sections) for s in sections)

    return walk(document.sections)


def median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def page_path(data: bytes) -> str:
    """The document page's own work: read, header details, sections, templates."""
    from django.template.loader import render_to_string

    from apps.flows.documents import DocumentCard, document_sections_html

    document = cda_read(data)
    card = DocumentCard(key="2-1", filename="DOC0001.XML", document=document)
    sections = document_sections_html(card=card, media_url="/i/__CID__/", file_url="/f/__FILE__/")
    return render_to_string(
        "webmail/_document_body.html",
        {
            "document": document,
            "card": card,
            "sections": sections,
            "toc": len(sections) >= 4,
            "file_url": "/f/",
        },
    )


def viewer_path(given: Path | None) -> Path | None:
    import os

    for candidate in (
        given,
        os.environ.get("MSSANTE_CDA_VIEWER_XSL"),
        SHARED / "ans-TestContenuCDA-3-0" / "FeuilleDeStyle" / "CDA-FO.xsl",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def page_against_viewer(viewer: Path) -> dict[str, object]:
    import os

    import django
    from django.utils import translation
    from lxml import etree

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    django.setup()
    translation.activate("fr")
    transform = etree.XSLT(etree.parse(str(viewer)))
    plain = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    rows: dict[str, dict[str, float]] = {}
    for path in sorted((SHARED / "ans-TestContenuCDA-3-0").glob("*.xml")):
        data = path.read_bytes()
        try:
            if transform(etree.fromstring(data, plain)).getroot() is None:
                continue  # self-presentable: the viewer does not read it
        except etree.Error:
            continue
        page_ms = median_ms(lambda data=data: page_path(data))  # type: ignore[misc]
        viewer_ms = median_ms(lambda data=data: str(transform(etree.fromstring(data, plain))))  # type: ignore[misc]
        rows[path.name] = {"page_ms": page_ms, "viewer_ms": viewer_ms, "ratio": round(page_ms / viewer_ms, 3)}
        print(f"page {path.name[:55]:55s} {rows[path.name]}")
    ratios = [r["ratio"] for r in rows.values()]
    return {
        "documents": len(rows),
        "median_ratio": round(statistics.median(ratios), 3),
        "worst_ratio": max(ratios),
        "median_page_ms": statistics.median(r["page_ms"] for r in rows.values()),
        "median_viewer_ms": statistics.median(r["viewer_ms"] for r in rows.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xsl", type=Path, help="a reference CDA stylesheet to compare with")
    parser.add_argument("--viewer", type=Path, help="the agency's CDA-FO.xsl, for the page path")
    args = parser.parse_args()
    documents = {
        "own-n1-pdf": builders.n1_pdf(),
        "own-n1-text": builders.n1_text(),
        "own-n3": builders.n3(),
        "own-self-presentable": builders.self_presentable(),
    }
    if SHARED.is_dir():
        documents.update({p.name: p.read_bytes() for p in sorted(SHARED.rglob("*.xml"))})
    transform = None
    if args.xsl:
        from lxml import etree

        transform = etree.XSLT(etree.parse(str(args.xsl)))
    figures: dict[str, dict[str, float]] = {}
    for name, data in documents.items():
        try:
            ours = median_ms(lambda data=data: render(data))  # type: ignore[misc]
        except DocumentUnreadable as exc:
            print(f"{name}: not a document ({exc.reason})")
            continue
        row = {"kb": round(len(data) / 1024), "ours_ms": ours}
        if transform is not None:
            from lxml import etree

            def reference(data: bytes = data) -> object:
                plain = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
                return str(transform(etree.fromstring(data, plain)))

            try:
                row["reference_ms"] = median_ms(reference)
            except etree.Error as exc:  # a self-presentable document is no input for it
                print(f"{name}: the reference stylesheet failed ({type(exc).__name__})")
            else:
                row["ratio"] = round(ours / row["reference_ms"], 3) if row["reference_ms"] else 0.0
        figures[name] = row
        print(f"{name[:60]:60s} {row}")
    biggest = max(figures.items(), key=lambda item: item[1]["kb"])
    summary = {
        "documents": len(figures),
        "max_ms": max(r["ours_ms"] for r in figures.values()),
        "biggest": {"name": biggest[0], **biggest[1]},
        "per_document": figures,
    }
    if transform is not None:
        summary["worst_ratio"] = max(r["ratio"] for r in figures.values() if "ratio" in r)
    viewer = viewer_path(args.viewer)
    if viewer is not None and SHARED.is_dir():
        summary["page_vs_agency_viewer"] = page_against_viewer(viewer)
    else:
        print("page path: no agency viewer (CDA-FO.xsl) or no ../shared examples here: not measured")
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
