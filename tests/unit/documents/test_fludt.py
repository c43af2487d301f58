"""The urgent transfer sheet (issue 26, part): the FLUDT an EHPAD sends with a resident is a
CDA R2 N3 the agency's validators accept — the profiles and the volet's own schematron
(CI-SIS_DLU-EHPAD-FLUDT_2022.01) — for a resident with everything filled and for the minimum
the volet allows; it reads back through our reader with every section and its entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from apps.documents.cda import cda_read
from apps.documents.produce import DocumentRequest, Organisation, PatientTraits, Professional
from apps.documents.produce.fludt import Transfer, VitalSigns, fludt_build
from apps.documents.validation import Validator

TZ = dt.timezone(dt.timedelta(hours=1))
REQUEST = DocumentRequest(
    pdf=b"", type_code="74207-2", source_oid="1.2.250.1.999.1",
    title="FICHE DE LIAISON D'URGENCE - TRANSFERT VERS LE SERVICE DES URGENCES",
    date=dt.datetime(2026, 12, 7, 3, 10, tzinfo=TZ),
    patient=PatientTraits(ins="280017512345610", ins_oid="1.2.250.1.213.1.4.10", birth_name="DUPONT",
                          given_names=("Jeanne",), birth_date=dt.date(1940, 1, 17), sex="F", birth_place="69123"),
    author=Professional(idnat="810100555555", given_name="Léa", family_name="MOREAU", profession_code="60",
                        profession_label="Infirmier", prefix="MME"),
    organisation=Organisation(name="EHPAD Les Glycines", finess="690012345", facility_type="SA17",
                              postcode="69500", city="BRON"))
HOSPITAL = Organisation(name="Centre hospitalier de Villefranche - Urgences", finess="690000015",
                        facility_type="SA01", postcode="69400", city="VILLEFRANCHE-SUR-SAONE")
FULL = Transfer(reason="Chute nocturne, douleur de hanche droite", departure=dt.datetime(2026, 12, 7, 3, 0, tzinfo=TZ),
                destination=HOSPITAL,
                vitals=VitalSigns(pulse=Decimal(92), temperature=Decimal("37.2"), weight=Decimal(61),
                                  systolic=Decimal(145), diastolic=Decimal(80)),
                conscious=True, pain="hanche droite", last_treatment=dt.datetime(2026, 12, 6, 20, 0, tzinfo=TZ),
                last_meal=dt.datetime(2026, 12, 6, 19, 0, tzinfo=TZ), devices=("Q021003", "P0102"),
                comments="Prévenir sa fille au 06 12 34 56 78.")
MINIMAL = Transfer(reason="Malaise", departure=dt.datetime(2026, 12, 7, 3, 0, tzinfo=TZ),
                   destination=Organisation(name="Service des urgences"), conscious=False)



@pytest.mark.parametrize("transfer", [FULL, MINIMAL], ids=["everything", "minimum"])
def test_the_fludt_passes_the_profiles_and_the_volet(validator: Validator, transfer: Transfer) -> None:
    report = validator.validate(fludt_build(REQUEST, transfer))
    assert "CI-SIS_DLU-EHPAD-FLUDT_2022.01" in report.checks  # the volet's own schematron ran
    assert report.errors == (), [str(f) for f in report.errors]


def test_the_fludt_reads_back_with_its_sections_and_entries() -> None:
    data = fludt_build(REQUEST, FULL)
    document = cda_read(data)
    assert document.level == "N3" and document.type.code == "74207-2"
    titles = [s.title for s in document.sections]
    assert titles == ["Transfert du patient de l'EHPAD vers le SU", "Constantes du patient", "Observations",
                      "Date et heure de la dernière prise du traitement habituel", "Date et heure du dernier repas",
                      "Prothèses et objets personnels", "Commentaires"]
    root = etree.fromstring(data)
    ns = {"h": "urn:hl7-org:v3"}
    values = {o.find("h:code", ns).get("code"): o.find("h:value", ns).get("value")
              for o in root.iterfind(".//h:organizer/h:component/h:observation", ns)}
    assert values == {"8867-4": "92", "8310-5": "37.2", "29463-7": "61", "8480-6": "145", "8462-4": "80"}
    assert "Chute nocturne, douleur de hanche droite" in "".join(document.sections[0].narrative.itertext())
    assert document.details.service_events[0].label.startswith("Transfert du patient au service des urgences")
