from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from apps.accounts.professions import ProfessionFamily, profession_lookup
from apps.accounts.psc_claims import MalformedClaims, identity_from_claims
from tests.conftest import shared_fixture

BASE: dict[str, Any] = {
    "SubjectNameID": "899700123450", "given_name": "Claire", "family_name": "MARTIN",
    "SubjectRefPro": {"codeCivilite": "MME", "exercices": [{
        "codeProfession": "10", "codeCategorieProfessionnelle": "C",
        "codeCiviliteDexercice": "DR", "nomDexercice": "MARTIN", "prenomDexercice": "Claire",
        "codeTypeSavoirFaire": "S", "codeSavoirFaire": "SM54",
        "activities": [
            {"codeModeExercice": "L", "codeSecteurDactivite": "SA07", "numeroSiretSite": "12345678900015",
             "numeroFinessSite": "", "identifiantTechniqueDeLaStructure": "R1",
             "raisonSocialeSite": "Cabinet des Tilleuls", "codePostal": "69003",
             "bureauCedex": "69003 LYON"},
            {"codeModeExercice": "S", "numeroFinessSite": "690000056", "raisonSocialeSite": "MSP",
             "codePostal": "69004", "bureauCedex": ""}]}]},
}


def test_identity_with_professions_and_activities() -> None:
    identity = identity_from_claims(BASE)
    assert (identity.idnat, identity.registry, identity.civility) == ("899700123450", "RPPS", "MME")
    exercise = identity.exercises[0]
    assert exercise.profession.label == "Médecin" and exercise.family is ProfessionFamily.HEALTH
    first, second = identity.activities
    assert first.structure_key == ("siret", "12345678900015") and first.city == "LYON"
    assert second.structure_key == ("finess", "690000056")


@pytest.mark.parametrize("code,family", [("41", "social"), ("51", "social"), ("351", "social"),
                                         ("60", "health"), ("71", "by_title"), ("999", "other")])
def test_profession_families(code: str, family: str) -> None:
    assert profession_lookup(code).family.value == family


@pytest.mark.parametrize("breakage", [
    lambda c: c.update(SubjectNameID="899700123451"),  # wrong Luhn key
    lambda c: c.pop("SubjectNameID"),
    lambda c: c.update(SubjectRefPro="not an object"),
    lambda c: c["SubjectRefPro"].update(exercices={"a": 1}),
    lambda c: c["SubjectRefPro"]["exercices"][0].update(activities=["x"]),
    lambda c: c.update(given_name=["list"]),
    lambda c: c.update(given_name="", family_name="", SubjectRefPro={"exercices": []}),
])
def test_malformed_claims_are_refused_with_a_reason(breakage: Any) -> None:
    claims = copy.deepcopy(BASE)
    breakage(claims)
    with pytest.raises(MalformedClaims) as caught:
        identity_from_claims(claims)
    assert str(caught.value)


def test_real_bas_userinfo_from_shared_fixtures() -> None:
    claims = json.loads(shared_fixture("mssante", "psc_userinfo_bas_rpps_card.json").read_text())
    identity = identity_from_claims(claims)
    assert identity.registry == "RPPS"
    assert [a.structure_key[0] for a in identity.activities] == ["technical", "finess"]
    assert identity.activities[0].city == "PARIS"


def test_bas_test_account_needs_lenient_mode() -> None:
    claims = json.loads(shared_fixture("mssante", "psc_userinfo_bas_multi_activities.json").read_text())
    with pytest.raises(MalformedClaims):
        identity_from_claims(claims)
    identity = identity_from_claims(claims, lenient_idnat=True)
    assert len(identity.activities) == 5
    # Two activities carry no identifier at all: they are told apart by name and postcode.
    keys = {a.structure_key for a in identity.activities}
    assert len(keys) == 5 and ("name", "CAB MED BIS TOUBIB0023550|75009") in keys
