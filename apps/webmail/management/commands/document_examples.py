"""``manage.py document_examples --out DIR``: the demo's health documents exactly as compose
builds them (``health_document_request`` then ``document_produce``), with no database and
no network: ``N1.xml``, ``N1_IHE_XDM.zip`` and the PDF/A beside it. Integrators read them;
the conformance tests validate them (issue 23)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.documents.produce import (
    DocumentRequest,
    Organisation,
    PatientTraits,
    Professional,
    document_produce,
)
from apps.documents.produce.dlu import ResidentFile, dlu_build
from apps.documents.produce.fludr import Diagnosis, ReturnSheet, fludr_build
from apps.documents.produce.fludt import Transfer, VitalSigns, fludt_build
from apps.documents.produce.n3 import Joined, Medication
from apps.documents.samples import text_pdf
from apps.flows.health_documents import HealthDocumentFields, health_document_request
from mss.ins import TEST_OID

# The demo's people (devstack/identities.json): Claire MARTIN, GP at the Cabinet médical des
# Tilleuls, writes about Jeanne DUPONT (a test INS).
DEMO_AUTHOR = Professional(
    idnat="810100123456",
    given_name="Claire",
    family_name="MARTIN",
    profession_code="10",
    profession_label="Médecin",
    expertise_code="SM54",
    prefix="MME",
    suffix="DR",
)
DEMO_ORGANISATION = Organisation(
    name="Cabinet médical des Tilleuls",
    siret="81234567800011",
    facility_type="SA07",
    postcode="69003",
    city="LYON",
)


# Léa MOREAU, nurse at the EHPAD Les Glycines, sends Jeanne DUPONT to the emergency department.
DEMO_EHPAD = Organisation(
    name="EHPAD Les Glycines", finess="690012345", facility_type="SA17", postcode="69500", city="BRON"
)
DEMO_FLUDT_REQUEST = DocumentRequest(
    pdf=b"",
    type_code="74207-2",
    source_oid="1.2.250.1.999.1",
    title="FICHE DE LIAISON D'URGENCE - TRANSFERT VERS LE SERVICE DES URGENCES",
    date=dt.datetime(2026, 11, 28, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    patient=PatientTraits(
        ins="280017512345610",
        ins_oid=TEST_OID,
        birth_name="DUPONT",
        given_names=("Jeanne",),
        birth_date=dt.date(1980, 1, 17),
        sex="F",
        birth_place="69123",
    ),
    author=Professional(
        idnat="810100555555",
        given_name="Léa",
        family_name="MOREAU",
        profession_code="60",
        profession_label="Infirmier",
        prefix="MME",
    ),
    organisation=DEMO_EHPAD,
)
DEMO_TRANSFER = Transfer(
    reason="Chute nocturne, douleur de hanche droite",
    departure=dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    destination=Organisation(
        name="Centre hospitalier de Villefranche - Urgences",
        finess="690000015",
        facility_type="SA01",
        postcode="69400",
        city="VILLEFRANCHE-SUR-SAONE",
    ),
    vitals=VitalSigns(
        pulse=Decimal(92), temperature=Decimal("37.2"), systolic=Decimal(145), diastolic=Decimal(80)
    ),
    conscious=True,
    pain="hanche droite",
    devices=("Q021003", "P0102"),
)


# Julien PETIT, at the hospital's emergency department, sends her back with the return sheet.
DEMO_FLUDR_REQUEST = replace(
    DEMO_FLUDT_REQUEST,
    title="FICHE DE LIAISON D'URGENCE - RETOUR DU SERVICE DES URGENCES VERS L'EHPAD",
    date=DEMO_TRANSFER.departure + dt.timedelta(hours=6),
    author=Professional(
        idnat="810100777777",
        given_name="Julien",
        family_name="PETIT",
        profession_code="10",
        profession_label="Médecin",
        expertise_code="SM26",
        suffix="DR",
    ),
    organisation=DEMO_TRANSFER.destination,
)
DEMO_RETURN = ReturnSheet(
    reason="Retour autorisé après bilan radiologique",
    departure=DEMO_TRANSFER.departure + dt.timedelta(hours=6),
    destination=DEMO_EHPAD,
    diagnoses=(Diagnosis("S70.0", "Contusion de la hanche"),),
    medications=(
        Medication(
            "PARACETAMOL 500 mg, comprimé",
            DEMO_TRANSFER.departure.date(),
            DEMO_TRANSFER.departure.date() + dt.timedelta(days=5),
            "1 comprimé 3 fois par jour",
        ),
    ),
    devices=("Q021003", "P0102"),
    joined=(
        Joined("DLU_020", text_pdf(["Ordonnance de sortie", "PARACETAMOL 500 mg : 1 cp 3 fois par jour"])),
    ),
    comments="Revoir le médecin traitant sous 48 h.",
)


DEMO_RESIDENT = ResidentFile(
    preferred_hospital=DEMO_TRANSFER.destination,
    attending_physician=DEMO_AUTHOR,
    treatments=(
        Medication("KARDEGIC 75 mg", dt.date(2025, 3, 1), dose="1 sachet le midi"),
        Medication("LEVOTHYROX 50 µg", dt.date(2024, 1, 1), dose="1 comprimé le matin"),
    ),
    advance_directives=True,
    directives_where="classeur infirmier, 1er étage",
    states=(("288575003", True), ("247663003", True), ("161898004", True)),
    joined=(Joined("DLU_006", text_pdf(["Attestation de la carte vitale"])),),
)


def demo_fields(*, type_code: str = "11502-2", given_names: str = "Jeanne Marie") -> HealthDocumentFields:
    pdf = text_pdf(
        [
            "Cabinet medical des Tilleuls - Lyon",
            "Patiente : DUPONT Jeanne - nee le 17/01/1980",
            "INR : 2,6 (zone therapeutique 2-3)",
            "Document de demonstration - donnees fictives",
        ]
    )
    return HealthDocumentFields(
        pdf=pdf,
        pdf_name="compte-rendu.pdf",
        ins="280017512345610",
        ins_kind="TEST",
        birth_name="Dupont",
        given_names=given_names,
        birth_date="1980-01-17",
        sex="F",
        type_code=type_code,
        title="",
        birth_place="69123",
        act_date="2026-11-27",
    )


class Command(BaseCommand):
    help = "Writes the demo's health documents as compose builds them (no database, no network)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        now = dt.datetime(2026, 11, 28, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        request = health_document_request(
            fields=demo_fields(),
            author=DEMO_AUTHOR,
            organisation=DEMO_ORGANISATION,
            now=now,
            source_oid=settings.MSSANTE_DOCUMENT_OID,
        )
        produced = document_produce(request)
        (out / "N1.xml").write_bytes(produced.cda)
        (out / "N1_IHE_XDM.zip").write_bytes(produced.xdm)
        (out / produced.pdf_name).write_bytes(produced.pdf)
        (out / "DLU.xml").write_bytes(
            dlu_build(replace(DEMO_FLUDT_REQUEST, title="DOSSIER DE LIAISON D'URGENCE"), DEMO_RESIDENT)
        )
        (out / "FLUDT.xml").write_bytes(fludt_build(DEMO_FLUDT_REQUEST, DEMO_TRANSFER))
        (out / "FLUDR.xml").write_bytes(fludr_build(DEMO_FLUDR_REQUEST, DEMO_RETURN))
        self.stdout.write(
            f"N1.xml, N1_IHE_XDM.zip, {produced.pdf_name}, DLU.xml, FLUDT.xml, FLUDR.xml written to {out}"
        )
