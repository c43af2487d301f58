"""The return sheet (issue 26, part): the FLUDR the emergency department sends back with the
resident is a CDA R2 N3 the agency's validators accept — the profiles and the volet's own
schematron (CI-SIS_DLU-EHPAD-FLUDR_2022.01) — for a full return and for the minimum the volet
allows (a diagnosis, a discharge treatment, a joined document: less is refused with a reason);
it reads back with its sections, its CIM-10 diagnosis and its joined PDF reachable."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from apps.documents.cda import cda_read
from apps.documents.narrative import media_file, media_index
from apps.documents.produce import (
    DocumentRefusedError,
    DocumentRequest,
    Organisation,
    PatientTraits,
    Professional,
)
from apps.documents.produce.fludr import Diagnosis, ReturnSheet, fludr_build
from apps.documents.produce.n3 import Joined, Medication
from apps.documents.samples import text_pdf
from apps.documents.validation import Validator

TZ = dt.timezone(dt.timedelta(hours=1))
REQUEST = DocumentRequest(
    pdf=b"", type_code="74207-2", source_oid="1.2.250.1.999.1",
    title="FICHE DE LIAISON D'URGENCE - RETOUR DU SERVICE DES URGENCES VERS L'EHPAD",
    date=dt.datetime(2026, 12, 7, 9, 10, tzinfo=TZ),
    patient=PatientTraits(ins="280017512345610", ins_oid="1.2.250.1.213.1.4.10", birth_name="DUPONT",
                          given_names=("Jeanne",), birth_date=dt.date(1940, 1, 17), sex="F", birth_place="69123"),
    author=Professional(idnat="810100777777", given_name="Julien", family_name="PETIT", profession_code="10",
                        profession_label="Médecin", expertise_code="SM26", suffix="DR"),
    organisation=Organisation(name="Centre hospitalier de Villefranche - Urgences", finess="690000015",
                              facility_type="SA01", postcode="69400", city="VILLEFRANCHE-SUR-SAONE"))
EHPAD = Organisation(name="EHPAD Les Glycines", finess="690012345", facility_type="SA17", postcode="69500", city="BRON")
PRESCRIPTION = text_pdf(["Ordonnance de sortie", "PARACETAMOL 500 mg : 1 comprimé 3 fois par jour"])
FULL = ReturnSheet(
    reason="Retour autorisé après bilan", departure=dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ), destination=EHPAD,
    diagnoses=(Diagnosis("S70.0", "Contusion de la hanche"),),
    medications=(Medication("PARACETAMOL 500 mg, comprimé", dt.date(2026, 12, 7), dt.date(2026, 12, 12),
                            "1 comprimé 3 fois par jour", cis="60234100"),),
    devices=("Q021003",), joined=(Joined("DLU_020", PRESCRIPTION),), comments="Revoir le médecin traitant sous 48 h.")
MINIMAL = ReturnSheet(reason="Retour", departure=dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ), destination=EHPAD,
                      diagnoses=(Diagnosis("R52.9", "Douleur, sans précision"),),
                      medications=(Medication("PARACETAMOL 500 mg", dt.date(2026, 12, 7)),),
                      joined=(Joined("DLU_021", text_pdf(["Copie du dossier des urgences"])),))



@pytest.mark.parametrize("sheet", [FULL, MINIMAL], ids=["everything", "minimum"])
def test_the_fludr_passes_the_profiles_and_the_volet(validator: Validator, sheet: ReturnSheet) -> None:
    report = validator.validate(fludr_build(REQUEST, sheet))
    assert "CI-SIS_DLU-EHPAD-FLUDR_2022.01" in report.checks
    assert report.errors == (), [str(f) for f in report.errors]


def test_less_than_the_volet_requires_is_refused() -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        fludr_build(REQUEST, replace(MINIMAL, joined=()))
    assert refused.value.reason == "volet"


def test_the_fludr_reads_back_with_its_diagnosis_and_joined_pdf() -> None:
    document = cda_read(fludr_build(REQUEST, FULL))
    assert [s.title for s in document.sections] == [
        "Retour du patient à l'EHPAD", "Diagnostic ou RPU", "Ordonnance de sortie", "Prothèses et objets personnels",
        "Documents annexés à la FLUDR", "Commentaires"]
    assert "Contusion de la hanche (S70.0)" in "".join(document.sections[1].narrative.itertext())
    media = media_index(document.root)
    (ref,) = [r for r, (kind, _data) in media.items() if kind == "application/pdf"]
    assert media_file(media, ref) == (PRESCRIPTION, "application/pdf")
