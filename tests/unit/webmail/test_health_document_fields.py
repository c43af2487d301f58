"""Compose's health document (issue 23): the birth place comes from the professional's
patient list when compose leaves it empty; without it the document is refused in French
(the INS identity traits include the birth place); the author's PSC identity and structure
become the CDA's author and custodian."""

from __future__ import annotations

import pytest
from django.utils import translation

from apps.accounts.models import ProfessionalExercise, User
from apps.flows.health_documents import DocumentRefused, health_document_build
from apps.patients.models import Patient
from apps.webmail.management.commands.document_examples import demo_fields

pytestmark = pytest.mark.django_db


def _doctor() -> User:
    user = User.objects.create(username="810100123456", idnat="810100123456", first_name="Claire",
                               last_name="Martin", civility="MME")
    ProfessionalExercise.objects.create(user=user, position=0, profession_code="10", profession_label="Médecin",
                                        profession_system="TRE_G15", family="health", civility="DR",
                                        savoir_faire_code="SM54")
    return user


def test_the_birth_place_comes_from_the_patient_list_or_is_asked_for() -> None:
    doctor = _doctor()
    fields = demo_fields()
    unknown = type(fields)(**{**fields.__dict__, "birth_place": ""})
    with translation.override("fr"), pytest.raises(DocumentRefused) as refused:
        health_document_build(user=doctor, fields=unknown)
    assert "lieu de naissance" in str(refused.value.user_message)
    Patient.objects.create(owner=doctor, matricule=fields.ins, oid="1.2.250.1.213.1.4.10", birth_name="DUPONT",
                           given_names="Jeanne Marie", birth_date="1980-01-17", sex="F", birthplace="69123")
    built = health_document_build(user=doctor, fields=unknown)
    assert b"<county>69123</county>" in _cda(built.files[0].data)
    assert built.headers["X-MSS-INS"] == "N" and built.files[1].filename.endswith(".pdf")


def _cda(xdm: bytes) -> bytes:
    from apps.documents.xdm import xdm_read

    return xdm_read(xdm).documents[0].data


def test_a_test_ins_is_refused_where_test_ins_are_not_allowed(settings: object) -> None:
    settings.MSSANTE_ALLOW_TEST_INS = False  # type: ignore[attr-defined]
    with translation.override("fr"), pytest.raises(DocumentRefused) as refused:
        health_document_build(user=_doctor(), fields=demo_fields())  # its INS kind is TEST
    assert "INS de test" in str(refused.value.user_message)
