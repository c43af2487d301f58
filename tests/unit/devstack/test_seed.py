from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile

from lxml import etree

from apps.documents.produce import pdfa_part
from devstack import seed

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def test_demo_xdm_is_a_well_formed_ihe_package_with_a_cda_n1_pdf() -> None:
    item = next(m for m in seed.demo_messages(NOW) if m.subject.startswith("XDM/1.0/DDM+"))
    name, mime, data = item.attachments[0]
    assert (name, mime) == ("IHE_XDM.zip", "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert {"README.TXT", "INDEX.HTM", "IHE_XDM/SUBSET01/METADATA.XML",
            "IHE_XDM/SUBSET01/DOC0001.XML"} == set(archive.namelist())
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    cda = etree.fromstring(archive.read("IHE_XDM/SUBSET01/DOC0001.XML"), parser)
    ns = {"h": "urn:hl7-org:v3"}
    pdf = base64.b64decode(cda.findtext(".//h:nonXMLBody/h:text", namespaces=ns))
    assert pdf.startswith(b"%PDF-") and pdfa_part(pdf) == 1  # made by compose's own producer
    assert cda.find(".//h:recordTarget//h:id", ns).get("root") == "1.2.250.1.213.1.4.10"
    etree.fromstring(archive.read("IHE_XDM/SUBSET01/METADATA.XML"), parser)
    # the demo does not contradict itself: a test INS is never qualified
    assert item.headers["X-MSS-INS"] == "N"
    assert item.attachments[1][0].endswith("_CR-d-examens-biologiques_DUPONT_Jeanne_" +
                                          item.attachments[1][0].rsplit("_", 1)[1])
    author = cda.find(".//h:author//h:assignedPerson/h:name/h:family", ns)
    assert author is not None and author.text == "ROCHE"  # a person, never "— Centre hospitalier…"


def test_pdf_xref_offsets_point_at_objects() -> None:
    pdf = seed.minimal_pdf(["Bonjour (test)"])
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    table = pdf[xref_at:].split(b"\n")[3:8]
    for number, line in enumerate(table, start=1):
        offset = int(line.split()[0])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())


def test_message_ids_are_unique_and_threads_point_backwards() -> None:
    messages = seed.demo_messages(NOW)
    ids = [m.message_id for m in messages]
    assert len(ids) == len(set(ids))
    for m in messages:
        if m.in_reply_to:
            assert m.in_reply_to in ids[: ids.index(m.message_id)]
    built = seed.build(messages[0], NOW)
    assert built["X-MSS-NIL"] and built["Message-ID"] == messages[0].message_id
