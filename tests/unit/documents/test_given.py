"""A CDA the business tool built, packed as we pack ours (issue 29): its metadata read from
its own header says what our producer says of the same document (every classification, the
author, the patient, the ids); it goes in the zip byte for byte with its PDF beside it;
what the metadata cannot be made from is refused with a reason."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from apps.documents.produce import document_produce
from apps.documents.produce.given import GivenDocumentRefused, given_cda_pack
from apps.documents.xdm import RIM, xdm_read
from tests.unit.documents import builders
from tests.unit.documents.test_produce import REQUEST


def described(xdm: bytes) -> dict[str, object]:
    """What METADATA.XML says, without the ids minted per package (urn:uuid, submission)."""
    metadata = etree.fromstring(zipfile.ZipFile(io.BytesIO(xdm)).read("IHE_XDM/SUBSET01/METADATA.XML"))
    entry = metadata.find(f".//{RIM}ExtrinsicObject")
    assert entry is not None
    slots = {s.get("name"): [v.text for v in s.iter(f"{RIM}Value")] for s in entry.iter(f"{RIM}Slot")
             if s.getparent() is entry}
    classes = {c.get("classificationScheme"): (c.get("nodeRepresentation"),
                                                [v.text for v in c.iter(f"{RIM}Value")])
               for c in entry.iter(f"{RIM}Classification")}
    externals = {x.get("identificationScheme"): x.get("value") for x in entry.iter(f"{RIM}ExternalIdentifier")}
    return {"slots": slots, "classes": classes, "externals": externals}


def test_a_cda_as_given_gets_the_metadata_our_producer_gives_it() -> None:
    ours = document_produce(REQUEST)
    given = given_cda_pack(ours.cda, source_oid=REQUEST.source_oid)
    assert described(given.xdm) == described(ours.xdm)
    package = xdm_read(given.xdm)
    assert [d.data for d in package.documents] == [ours.cda]  # the CDA unchanged
    assert given.pdf == ours.pdf and given.pdf_name.endswith("_CR-d-examens-biologiques_DUPONT_Jeanne_" +
                                                             given.pdf_name.rsplit("_", 1)[1])
    assert (given.headers, given.subject) == (ours.headers, ours.subject)


@pytest.mark.parametrize(("cda", "reason"), [
    (builders.n3(), "volet"),  # structured: its formatCode is the volet's, not known here
    (builders.n1_pdf().replace(b"1.2.250.1.213.1.4.10", b"1.2.3.4"), "traits"),  # no INS
])
def test_what_metadata_cannot_be_made_from_is_refused(cda: bytes, reason: str) -> None:
    with pytest.raises(GivenDocumentRefused) as refused:
        given_cda_pack(cda, source_oid="1.2.250.1.999.42")
    assert refused.value.reason == reason
