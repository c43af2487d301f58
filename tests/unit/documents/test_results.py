"""A biology report read as data (issue 26, part: CR-BIO): every laboratory observation of
the agency's CR-BIO examples appears in the page's results table with its value, unit,
reference range and flag (counted against the XML), and an abnormal value is said in words
to screen readers, not only by its colour."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from lxml import etree
from lxml import html as lxml_html

from apps.documents.cda import cda_read
from apps.documents.results import LAB_OBSERVATION, lab_results
from apps.flows.documents import DocumentCard
from tests.conftest import SHARED_FIXTURES

EXAMPLES = sorted((SHARED_FIXTURES / "cda" / "ans-TestContenuCDA-3-0").glob("BIO-*.xml")) \
    if (SHARED_FIXTURES / "cda").is_dir() else []
V3 = "{urn:hl7-org:v3}"


@pytest.mark.skipif(not EXAMPLES, reason="../shared/fixtures/cda is not beside this checkout")
def test_every_laboratory_observation_of_the_agency_examples_is_in_the_table() -> None:
    checked = 0
    for path in EXAMPLES:
        data = path.read_bytes()
        document = cda_read(data)
        expected = [o for o in document.root.iter(f"{V3}observation")  # type: ignore[union-attr]
                    if any(t.get("root") == LAB_OBSERVATION for t in o.iterfind(f"{V3}templateId"))]
        results = lab_results(document.root)
        assert len(results) == len(expected), path.name
        with translation.override("fr"):
            page = render_to_string("webmail/_document_body.html", {
                "document": document, "card": DocumentCard(key="2-1", filename="x", document=document),
                "sections": [], "toc": False, "file_url": "/f/", "results": results})
        rows = lxml_html.fromstring(page).xpath('//table[@class="results-table"]/tbody/tr') if results else []
        assert len(rows) == len(expected), path.name
        for observation, result, row in zip(expected, results, rows, strict=True):
            value = observation.find(f"{V3}value")
            if value is not None and value.get("value") and value.get("unit"):
                assert (result.value, result.unit) == (value.get("value"), value.get("unit"))
                assert f"{result.value} {result.unit}" in " ".join(row.text_content().split())
            low = observation.find(f"{V3}referenceRange/{V3}observationRange/{V3}value/{V3}low")
            if low is not None:
                assert result.low == low.get("value") and result.low in row.text_content()
            flag = observation.find(f"{V3}interpretationCode")
            if flag is not None:
                assert result.flag == flag.get("code") and result.flag in row.text_content()
            checked += 1
    assert checked > 50


def test_an_abnormal_value_is_said_in_words() -> None:
    root = etree.fromstring(f"""<ClinicalDocument xmlns="urn:hl7-org:v3"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><component><structuredBody><component><section>
        <entry><observation classCode="OBS" moodCode="EVN"><templateId root="{LAB_OBSERVATION}"/>
        <code code="3024-7" displayName="Thyroxine libre"/><value xsi:type="PQ" value="7.67" unit="pg/mL"/>
        <interpretationCode code="L"/><referenceRange><observationRange><value xsi:type="IVL_PQ">
        <low value="9.30" unit="pg/mL"/><high value="17.00" unit="pg/mL"/></value></observationRange></referenceRange>
        </observation></entry></section></component></structuredBody></component></ClinicalDocument>""".encode())
    (result,) = lab_results(root)
    assert result.abnormal and result.reference == "9.30 – 17.00" and result.flag_words == "bas"
    with translation.override("fr"):
        page = render_to_string("webmail/_document_body.html", {
            "document": _doc(), "card": None, "sections": [],
            "toc": False, "file_url": "", "results": (result,)})
    row = re.search(r'<tr class="result-abnormal">.*?</tr>', page, re.S)
    assert row is not None and "anormal : bas" in row.group(0) and 'aria-hidden="true">L<' in row.group(0)


def _doc() -> object:
    from tests.unit.documents import builders

    return cda_read(builders.n3())
