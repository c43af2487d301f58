"""The resident's urgent liaison file (issue 26, part): the DLU an EHPAD keeps is a CDA R2 N3
the agency's validators accept — the profiles and the volet's own schematron
(CI-SIS_DLU-EHPAD-DLU_2022.01) — for a resident with everything filled and for the minimum
the volet allows (less is refused with a reason); it reads back with its sections and the
resident's state as coded entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from lxml import etree

from apps.documents.cda import cda_read
from apps.documents.produce import (
    DocumentRefusedError,
    DocumentRequest,
    Organisation,
    PatientTraits,
    Professional,
)
from apps.documents.produce.dlu import ResidentFile, dlu_build
from apps.documents.produce.n3 import Joined, Medication
from apps.documents.samples import text_pdf
from apps.documents.validation import Validator

TZ = dt.timezone(dt.timedelta(hours=1))
REQUEST = DocumentRequest(
    pdf=b"", type_code="74207-2", source_oid="1.2.250.1.999.1", title="DOSSIER DE LIAISON D'URGENCE",
    date=dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ),
    patient=PatientTraits(ins="280017512345610", ins_oid="1.2.250.1.213.1.4.10", birth_name="DUPONT",
                          given_names=("Jeanne",), birth_date=dt.date(1940, 1, 17), sex="F", birth_place="69123"),
    author=Professional(idnat="810100555555", given_name="Léa", family_name="MOREAU", profession_code="60",
                        profession_label="Infirmier", prefix="MME"),
    organisation=Organisation(name="EHPAD Les Glycines", finess="690012345", facility_type="SA17",
                              postcode="69500", city="BRON"))
GP = Professional(idnat="810100123456", given_name="Claire", family_name="MARTIN", profession_code="10",
                  profession_label="Médecin", suffix="DR")
FULL = ResidentFile(
    preferred_hospital=Organisation(name="Centre hospitalier de Villefranche", finess="690000015",
                                    facility_type="SA01", postcode="69400", city="VILLEFRANCHE-SUR-SAONE"),
    attending_physician=GP,
    treatments=(Medication("KARDEGIC 75 mg", dt.date(2025, 3, 1), dose="1 sachet le midi", cis="60234567"),
                Medication("LEVOTHYROX 50 µg", dt.date(2024, 1, 1), dose="1 comprimé le matin")),
    advance_directives=True, directives_where="classeur infirmier, 1er étage",
    states=(("288575003", True), ("62476001", False), ("161898004", True), ("285304000", True)),
    joined=(Joined("DLU_006", text_pdf(["Attestation de la carte vitale"])),
            Joined("DLU_010", text_pdf(["Directives anticipées"]))),
    comments="Appareillée : lunettes, prothèse dentaire.")
MINIMAL = ResidentFile(preferred_hospital=Organisation(name="Centre hospitalier"), attending_physician=GP,
                       treatments=(Medication("PARACETAMOL 500 mg", dt.date(2026, 1, 1)),), advance_directives=False,
                       joined=(Joined("DLU_006", text_pdf(["Carte vitale"])),))



@pytest.mark.parametrize("resident", [FULL, MINIMAL], ids=["everything", "minimum"])
def test_the_dlu_passes_the_profiles_and_the_volet(validator: Validator, resident: ResidentFile) -> None:
    report = validator.validate(dlu_build(REQUEST, resident))
    assert "CI-SIS_DLU-EHPAD-DLU_2022.01" in report.checks
    assert report.errors == (), [str(f) for f in report.errors]


def test_less_than_the_volet_requires_is_refused() -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        dlu_build(REQUEST, replace(MINIMAL, treatments=()))
    assert refused.value.reason == "volet"


def test_the_dlu_reads_back_with_the_residents_state_coded() -> None:
    data = dlu_build(REQUEST, FULL)
    document = cda_read(data)
    assert [s.title for s in document.sections] == [
        "Etablissement de santé de préférence", "Traitements au long cours", "Directives anticipées",
        "Observations", "Résultats d'examens", "Checklist des documents annexés au DLU", "Commentaires"]
    ns = {"h": "urn:hl7-org:v3"}
    root = etree.fromstring(data)
    states = {o.find("h:code", ns).get("code"): o.find("h:value", ns).get("value")
              for o in root.iterfind(".//h:section[h:title='Observations']/h:entry/h:observation", ns)}
    assert states == {"288575003": "true", "62476001": "false", "161898004": "true", "285304000": "true"}
    assert [p.name for p in document.details.participants] == ["DR Claire MARTIN"]  # the médecin traitant
