"""What we produce (issue 13): a CDA R2 N1 and its IHE_XDM.zip read back identically, and the
package follows the IHE XDM structure (8.3 upper-case names, required METADATA slots,
hashes and sizes that match), with the MSSanté headers and subject."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile

from lxml import etree

from apps.documents.cda import cda_read
from apps.documents.produce import DocumentRequest, PatientTraits, Professional, document_produce
from apps.documents.xdm import RIM, xdm_read
from tests.unit.documents import builders

REQUEST = DocumentRequest(
    pdf=builders.PDF,
    patient=PatientTraits(ins="279035121518989", ins_oid="1.2.250.1.213.1.4.10", birth_name="DUPONT",
                          given_names=("Jeanne", "Marie"), birth_date=dt.date(1979, 3, 28), sex="F"),
    author=Professional(idnat="899700123450", given_name="Claire", family_name="MARTIN",
                        profession_code="10", profession_label="Médecin"),
    organisation="Cabinet médical des Tilleuls <&>", organisation_id="12345678900015",
    type_code="11502-2", type_label="CR d'examens biologiques", title="Bilan sanguin du 28/11",
    date=dt.datetime(2026, 11, 28, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    source_oid="1.2.250.1.999.42")


def test_what_we_produce_reads_back_identically() -> None:
    produced = document_produce(REQUEST)
    document = cda_read(produced.cda)
    assert document.level == "N1" and document.body_bytes == builders.PDF
    assert (document.type.code, document.type.label, document.title) == (
        "11502-2", "CR d'examens biologiques", "Bilan sanguin du 28/11")
    assert document.effective == REQUEST.date
    patient = document.patient
    assert (patient.ins, patient.ins_oid, patient.ins_test, patient.birth_name, patient.given_names,
            patient.birth_date, patient.sex) == ("279035121518989", "1.2.250.1.213.1.4.10", True, "DUPONT",
                                                 ("Jeanne", "Marie"), dt.date(1979, 3, 28), "F")
    author = document.authors[0]
    assert (author.idnat, author.name, author.profession) == ("899700123450", "Claire MARTIN", "Médecin")
    assert document.custodian == "Cabinet médical des Tilleuls <&>"  # escaped on the way, whole on return
    assert document.legal_authenticator == "Claire MARTIN"
    package = xdm_read(produced.xdm)
    assert len(package.documents) == 1 and package.missing == ()
    entry = package.documents[0].entry
    assert package.documents[0].problems == () and package.documents[0].data == produced.cda
    assert entry is not None and entry.patient_id == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert entry.type_code is not None and entry.type_code.code == "11502-2"
    assert entry.format_code is not None and entry.format_code.code == "urn:ihe:iti:xds-sd:pdf:2008"
    assert entry.title == "Bilan sanguin du 28/11" and entry.authors[0].startswith("899700123450^MARTIN^Claire")
    assert produced.headers == {"X-MSS-CODECDA": "11502-2", "X-MSS-INS": "O"}
    assert produced.subject == "XDM/1.0/DDM+CR d'examens biologiques DUPONT Jeanne 28/03/1979"


def test_the_package_follows_the_xdm_structure() -> None:
    produced = document_produce(REQUEST)
    archive = zipfile.ZipFile(io.BytesIO(produced.xdm))
    names = archive.namelist()
    assert names == ["README.TXT", "INDEX.HTM", "IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML"]
    for name in names:  # ISO 9660 8.3, upper case, per directory level
        for part in name.split("/"):
            assert re.fullmatch(r"[A-Z0-9_]{1,8}(\.[A-Z0-9_]{1,3})?", part), part
    metadata = etree.fromstring(archive.read("IHE_XDM/SUBSET01/METADATA.XML"))
    entry = metadata.find(f".//{RIM}ExtrinsicObject")
    assert entry is not None and entry.get("mimeType") == "text/xml"
    slots = {s.get("name"): [v.text for v in s.iter(f"{RIM}Value")] for s in entry.findall(f"{RIM}Slot")}
    document = archive.read("IHE_XDM/SUBSET01/DOC0001.XML")
    assert slots["URI"] == ["DOC0001.XML"]
    assert slots["hash"] == [hashlib.sha1(document, usedforsecurity=False).hexdigest()]
    assert slots["size"] == [str(len(document))]
    for required in ("creationTime", "languageCode", "sourcePatientId", "sourcePatientInfo"):
        assert slots.get(required), required
    schemes = {c.get("classificationScheme") for c in entry.findall(f"{RIM}Classification")}
    assert len(schemes) == 5  # author, class, confidentiality, format, type
    identifiers = {e.get("identificationScheme") for e in entry.findall(f"{RIM}ExternalIdentifier")}
    assert len(identifiers) == 2  # patientId, uniqueId
    package = metadata.find(f".//{RIM}RegistryPackage")
    assert package is not None and len(package.findall(f"{RIM}ExternalIdentifier")) == 3
    association = metadata.find(f".//{RIM}Association")
    assert association is not None and (association.get("sourceObject"), association.get("targetObject")) == (
        package.get("id"), entry.get("id"))


def test_an_ins_that_is_not_qualified_says_so_in_x_mss_ins() -> None:
    from dataclasses import replace

    unqualified = replace(REQUEST, patient=replace(REQUEST.patient, ins_oid="1.2.250.1.999.9"))
    assert document_produce(unqualified).headers["X-MSS-INS"] == "N"
