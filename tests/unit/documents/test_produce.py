"""What we produce (issues 13 and 23): a CDA R2 N1 and its IHE_XDM.zip read back identically;
the package follows the IHE XDM structure (8.3 upper-case names, hashes and sizes that match)
and its METADATA carries what the ANS mapping asks (class, facility, practice setting, legal
authenticator, service times, author institution and specialty, urn:uuid ids, submission
status), HL7 v2 delimiters escaped; the PDF beside it is PDF/A-1 under its ECO.2.1.6 name;
the MSSanté headers and subject. What no document may carry is refused with a reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import replace

import pytest
from lxml import etree

from apps.documents.cda import cda_read
from apps.documents.errors import DocumentUnreadable
from apps.documents.produce import (
    DocumentRefusedError,
    DocumentRequest,
    Organisation,
    PatientTraits,
    Professional,
    document_produce,
    pdfa_part,
)
from apps.documents.produce.metadata import hl7_escape
from apps.documents.valuesets import author_specialty, value_set
from apps.documents.xdm import RIM, xdm_read
from tests.unit.documents import builders

PATIENT = PatientTraits(ins="279035121518989", ins_oid="1.2.250.1.213.1.4.10", birth_name="DUPONT",
                        given_names=("Jeanne", "Marie"), birth_date=dt.date(1979, 3, 28), sex="F",
                        birth_place="69123")
AUTHOR = Professional(idnat="899700123450", given_name="Claire", family_name="MARTIN", profession_code="10",
                      profession_label="Médecin", expertise_code="SM54", prefix="MME", suffix="DR")
ORGANISATION = Organisation(name="Cabinet médical des Tilleuls <&>", siret="12345678900015", facility_type="SA07",
                            postcode="69003", city="LYON")
REQUEST = DocumentRequest(
    pdf=builders.PAGE_PDF, patient=PATIENT, author=AUTHOR, organisation=ORGANISATION, type_code="11502-2",
    title="Bilan sanguin du 28/11", date=dt.datetime(2026, 11, 28, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    act_date=dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))), source_oid="1.2.250.1.999.42")


def _metadata(produced_xdm: bytes) -> tuple[etree._Element, dict[str, list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(produced_xdm))
    metadata = etree.fromstring(archive.read("IHE_XDM/SUBSET01/METADATA.XML"))
    entry = metadata.find(f".//{RIM}ExtrinsicObject")
    assert entry is not None
    slots = {s.get("name") or "": [v.text or "" for v in s.iter(f"{RIM}Value")] for s in entry.iter(f"{RIM}Slot")}
    return metadata, slots


def test_what_we_produce_reads_back_identically() -> None:
    produced = document_produce(REQUEST)
    document = cda_read(produced.cda)
    assert document.level == "N1" and document.body_bytes == produced.pdf
    assert (document.type.code, document.type.label, document.title) == (
        "11502-2", "CR d'examens biologiques", "Bilan sanguin du 28/11")
    assert document.effective == REQUEST.date
    patient = document.patient
    assert (patient.ins, patient.ins_oid, patient.ins_test, patient.birth_name, patient.given_names,
            patient.birth_date, patient.sex) == ("279035121518989", "1.2.250.1.213.1.4.10", True, "DUPONT",
                                                 ("Jeanne", "Marie"), dt.date(1979, 3, 28), "F")
    author = document.authors[0]
    assert (author.idnat, author.profession) == ("899700123450", "Médecin - Médecine Générale (SM)")
    assert author.name == "DR Claire MARTIN"  # the title before the name, as the agency viewer writes it
    assert document.custodian == "Cabinet médical des Tilleuls <&>"  # escaped on the way, whole on return
    assert document.legal_authenticator == "DR Claire MARTIN"
    package = xdm_read(produced.xdm)
    assert len(package.documents) == 1 and package.missing == ()
    entry = package.documents[0].entry
    assert package.documents[0].problems == () and package.documents[0].data == produced.cda
    assert entry is not None and entry.patient_id == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert entry.type_code is not None and entry.type_code.code == "11502-2"
    assert entry.format_code is not None and entry.format_code.code == "urn:ihe:iti:xds-sd:pdf:2008"
    assert entry.title == "Bilan sanguin du 28/11" and entry.authors[0].startswith("899700123450^MARTIN^Claire")
    # a test INS is never qualified: X-MSS-INS says N
    assert produced.headers == {"X-MSS-CODECDA": "11502-2", "X-MSS-INS": "N"}
    assert produced.subject == "XDM/1.0/DDM+CR d'examens biologiques DUPONT Jeanne 28/03/1979"


def test_the_header_carries_the_structure_ids_and_every_ins_trait() -> None:
    root = etree.fromstring(document_produce(REQUEST).cda)
    ns = {"h": "urn:hl7-org:v3"}
    assert root.xpath("h:custodian//h:id/@extension", namespaces=ns) == ["312345678900015"]  # 3 + SIRET
    finess = replace(REQUEST, organisation=replace(ORGANISATION, siret="", finess="690001234"))
    assert etree.fromstring(document_produce(finess).cda).xpath(
        "h:custodian//h:id/@extension", namespaces=ns) == ["1690001234"]  # 1 + FINESS
    name = "h:recordTarget/h:patientRole/h:patient/h:name"
    assert root.xpath(f"{name}/h:given[not(@qualifier)]/text()", namespaces=ns) == ["Jeanne Marie"]
    assert root.xpath(f"{name}/h:given[@qualifier='BR']/text()", namespaces=ns) == ["Jeanne"]
    assert root.xpath("h:recordTarget//h:birthplace/h:place/h:addr/h:county/text()", namespaces=ns) == ["69123"]
    assert root.xpath("h:documentationOf/h:serviceEvent/h:effectiveTime/h:low/@value", namespaces=ns) == [
        "20261127080000+0100"]
    assert root.xpath("h:componentOf//h:healthCareFacility/h:code/@code", namespaces=ns) == ["SA07"]
    assert root.xpath("h:author//h:assignedPerson/h:name/h:suffix/text()", namespaces=ns) == ["DR"]
    assert root.xpath("h:templateId/@root", namespaces=ns) == [
        "2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1", "1.3.6.1.4.1.19376.1.2.20"]


@pytest.mark.requirement("ECO.2.1.1", "ECO.2.1.2")
def test_the_package_follows_the_xdm_structure_and_the_ans_mapping() -> None:
    produced = document_produce(REQUEST)
    archive = zipfile.ZipFile(io.BytesIO(produced.xdm))
    names = archive.namelist()
    assert names == ["README.TXT", "INDEX.HTM", "IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML"]
    for name in names:  # ISO 9660 8.3, upper case, per directory level
        for part in name.split("/"):
            assert re.fullmatch(r"[A-Z0-9_]{1,8}(\.[A-Z0-9_]{1,3})?", part), part
    metadata, slots = _metadata(produced.xdm)
    entry = metadata.find(f".//{RIM}ExtrinsicObject")
    assert entry is not None and entry.get("mimeType") == "text/xml" and entry.get("id", "").startswith("urn:uuid:")
    document = archive.read("IHE_XDM/SUBSET01/DOC0001.XML")
    assert slots["URI"] == ["DOC0001.XML"]
    assert slots["hash"] == [hashlib.sha1(document, usedforsecurity=False).hexdigest()]
    assert slots["size"] == [str(len(document))]
    assert slots["serviceStartTime"] == ["20261127070000"]  # the act, in UTC
    assert slots["legalAuthenticator"][0].startswith("899700123450^MARTIN^Claire^^^MME")
    assert slots["authorInstitution"][0] == (
        "Cabinet médical des Tilleuls <\\T\\>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^312345678900015")
    assert slots["authorSpecialty"][0] == "G15_10/SM54^Médecin - Médecine Générale (SM)^1.2.250.1.213.1.1.4.5"
    assert "PID-11|^^^^^^BDL^^69123" in slots["sourcePatientInfo"]
    codes = {c.get("classificationScheme"): c.get("nodeRepresentation") for c in entry.findall(f"{RIM}Classification")}
    assert codes["urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"] == "10"  # class: Compte rendu (TRE_A03)
    assert codes["urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"] == "11502-2"  # type
    assert codes["urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"] == "SA07"  # healthcareFacilityTypeCode
    assert codes["urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"] == "AMBULATOIRE"  # practiceSettingCode
    identifiers = {e.get("identificationScheme") for e in entry.findall(f"{RIM}ExternalIdentifier")}
    assert len(identifiers) == 2  # patientId, uniqueId
    package = metadata.find(f".//{RIM}RegistryPackage")
    assert package is not None and len(package.findall(f"{RIM}ExternalIdentifier")) == 3
    association = metadata.find(f".//{RIM}Association")
    assert association is not None and (association.get("sourceObject"), association.get("targetObject")) == (
        package.get("id"), entry.get("id"))
    status = association.find(f"{RIM}Slot[@name='SubmissionSetStatus']/{RIM}ValueList/{RIM}Value")
    assert status is not None and status.text == "Original"


def test_hl7_delimiters_in_names_are_escaped_in_metadata() -> None:
    assert hl7_escape("A^B&C~D\\E|F") == "A\\S\\B\\T\\C\\R\\D\\E\\E\\F\\F"
    odd = replace(REQUEST, patient=replace(PATIENT, birth_name="DU^PONT|X"),
                  author=replace(AUTHOR, family_name="MAR&TIN"))
    _, slots = _metadata(document_produce(odd).xdm)
    assert "PID-5|DU\\S\\PONT\\F\\X^Jeanne Marie^^^^^L" in slots["sourcePatientInfo"]
    assert slots["authorPerson"][0].startswith("899700123450^MAR\\T\\TIN^Claire")


@pytest.mark.requirement("ECO.2.1.1", "ECO.2.1.5", "ECO.2.1.6")
def test_the_pdf_beside_is_pdfa_1_under_the_eco_name() -> None:
    produced = document_produce(REQUEST)
    assert produced.pdf.startswith(b"%PDF-") and pdfa_part(produced.pdf) == 1
    assert pdfa_part(builders.PAGE_PDF) is None
    assert re.fullmatch(r"20261127_CR-d-examens-biologiques_DUPONT_Jeanne_[0-9a-f]{12}\.pdf", produced.pdf_name)
    numbered = replace(REQUEST, file_number="D-2026/118")
    assert document_produce(numbered).pdf_name == "20261127_CR-d-examens-biologiques_DUPONT_Jeanne_D-2026-118.pdf"


def test_a_pdf_that_cannot_become_pdfa_is_refused() -> None:
    with pytest.raises(DocumentUnreadable) as refused:
        document_produce(replace(REQUEST, pdf=builders.PDF))  # no page Ghostscript can read
    assert refused.value.reason == "pdfa"


@pytest.mark.parametrize(("change", "reason"), [
    ({"title": "Bilan\x07"}, "control_character"),
    ({"patient": replace(PATIENT, birth_name="DU\x00PONT")}, "control_character"),
    ({"patient": replace(PATIENT, birth_place="")}, "birth_place"),
    ({"patient": replace(PATIENT, birth_place="Lyon")}, "birth_place"),
    ({"patient": replace(PATIENT, ins="２７９０３５１２１５１８９８９")}, "ins"),
    ({"patient": replace(PATIENT, given_names=())}, "traits"),
])
def test_what_no_document_can_carry_is_refused_with_a_reason(change: dict[str, object], reason: str) -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        document_produce(replace(REQUEST, **change))  # type: ignore[arg-type]
    assert refused.value.reason == reason


@pytest.mark.requirement("ECO.2.4.2")
def test_a_qualified_ins_says_so_in_x_mss_ins() -> None:
    real = replace(REQUEST, patient=replace(PATIENT, ins_oid="1.2.250.1.213.1.4.8"))
    assert document_produce(real).headers["X-MSS-INS"] == "O"


def test_labels_and_codes_come_from_the_agency_value_sets() -> None:
    assert value_set("J07")["74207-2"].label == "Document de liaison d'urgence"
    assert author_specialty(profession_code="10", expertise_code="SM54").code == "G15_10/SM54"
    assert author_specialty(profession_code="60").code == "G15_60"
    assert author_specialty(profession_code="41").code == "41"  # assistant de service social
    # TRE_R94's "Éducateur spécialisé" is J01's R85 "Educateur spécialisé"
    assert author_specialty(profession_code="51", profession_label="Éducateur spécialisé").code == "326"
    assert author_specialty(profession_code="999").code == "312"
