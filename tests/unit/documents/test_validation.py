"""The agency's validators run here (issue 23): CDA_extended.xsd and the ISO schematrons
(structuration minimale, IHE, CI-SIS, ANS, terminologies, the volet's own), compiled with
Saxon from ../shared's material. Every document compose can produce passes with 0 failed
assertions, as the agency's own examples do (controls), and a known-broken document fails
(the pipeline could not report 0 on it without being broken itself)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.documents.produce import document_produce
from apps.documents.types import OFFERED
from apps.documents.validation import Validator
from apps.flows.health_documents import health_document_request
from apps.webmail.management.commands.document_examples import DEMO_AUTHOR, DEMO_ORGANISATION, demo_fields
from tests.conftest import shared_fixture

BROKEN = Path(__file__).resolve().parents[2] / "fixtures" / "cda" / "broken-n1.xml"
NOW = dt.datetime(2026, 11, 28, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))



@pytest.mark.parametrize("name", ["DOC_NON_STRUCTURE_CDA-R2-N1.xml", "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml",
                                  "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml", "DLU-EHPAD-FLUDT_2022.01.xml"])
def test_the_agency_examples_pass_as_controls(validator: Validator, name: str) -> None:
    report = validator.validate(shared_fixture("cda", "ans-TestContenuCDA-3-0", name).read_bytes())
    assert report.errors == ()
    assert "structuration minimale" in report.checks and "XSD" in report.checks
    if name.startswith("DLU"):
        assert "CI-SIS_DLU-EHPAD-FLUDT_2022.01" in report.checks  # the volet's own schematron


def test_a_known_broken_document_fails(validator: Validator) -> None:
    report = validator.validate(BROKEN.read_bytes())
    texts = " ".join(str(f) for f in report.errors)
    assert not report.valid
    assert "documentationOf" in texts and "CI-SISCustodian" in texts


@pytest.mark.parametrize("type_code", OFFERED)
def test_every_type_compose_offers_passes_with_and_without_a_structure(validator: Validator, type_code: str) -> None:
    """Each JDV_J07 type offered, with a structure and without, with one birth given name
    and with several, built as compose builds it."""
    index = OFFERED.index(type_code)
    names = ("Jeanne Marie Louise", "Jeanne")
    for organisation, given in ((DEMO_ORGANISATION, names[index % 2]), (None, names[(index + 1) % 2])):
        request = health_document_request(fields=demo_fields(type_code=type_code, given_names=given),
                                          author=DEMO_AUTHOR, organisation=organisation, now=NOW,
                                          source_oid="1.2.250.1.999.1")
        report = validator.validate(document_produce(request).cda)
        assert report.errors == (), [str(f) for f in report.errors]


@pytest.mark.parametrize("author", [
    replace(DEMO_AUTHOR, profession_code="60", profession_label="Infirmier", expertise_code="", suffix=""),
    replace(DEMO_AUTHOR, profession_code="51", profession_label="Éducateur spécialisé", expertise_code="",
            prefix="M", suffix=""),
    replace(DEMO_AUTHOR, profession_code="41", profession_label="Assistant de service social", expertise_code="",
            prefix=""),
])
def test_medico_social_and_paramedical_authors_pass(validator: Validator, author: object) -> None:
    request = health_document_request(fields=demo_fields(type_code="28653-4"), author=author,  # type: ignore[arg-type]
                                      organisation=replace(DEMO_ORGANISATION, facility_type="SA17", siret="",
                                                           finess="690012345"),
                                      now=NOW, source_oid="1.2.250.1.999.1")
    report = validator.validate(document_produce(request).cda)
    assert report.errors == (), [str(f) for f in report.errors]


def test_the_commands_write_the_examples_and_validate_them(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          validator: Validator) -> None:
    call_command("document_examples", out=str(tmp_path))
    assert (tmp_path / "N1.xml").is_file() and (tmp_path / "N1_IHE_XDM.zip").is_file()
    call_command("cda_validate", str(tmp_path / "N1.xml"), str(tmp_path / "N1_IHE_XDM.zip"),
                 str(tmp_path / "DLU.xml"), str(tmp_path / "FLUDT.xml"), str(tmp_path / "FLUDR.xml"))
    printed = capsys.readouterr().out
    assert printed.count(": OK (XSD, structuration minimale") == 5
    assert "CI-SIS_DLU-EHPAD-DLU_2022.01;" in printed
    assert "CI-SIS_DLU-EHPAD-FLUDR_2022.01;" in printed
    assert "CI-SIS_DLU-EHPAD-FLUDT_2022.01;" in printed  # the volet's own schematron ran on it
    with pytest.raises(CommandError):
        call_command("cda_validate", str(BROKEN))
    assert "ERROR [structuration minimale]" in capsys.readouterr().out
    pdf = next(tmp_path.glob("*.pdf"))  # given by mistake: said, not a traceback
    with pytest.raises(CommandError, match="failed assertions or unreadable"):
        call_command("cda_validate", str(pdf), str(tmp_path / "N1.xml"))
    printed = capsys.readouterr().out
    assert f"{pdf}: not a CDA document (not_xml" in printed and printed.count(": OK (XSD") == 1


def test_the_demo_biology_report_passes(validator: Validator) -> None:
    from apps.documents.xdm import xdm_read
    from devstack import seed

    item = next(m for m in seed.demo_messages(NOW) if m.subject.startswith("XDM/1.0/DDM+"))
    documents = xdm_read(item.attachments[0][2]).documents
    assert len(documents) == 1
    report = validator.validate(documents[0].data)
    assert report.errors == (), [str(f) for f in report.errors]
