"""Pro Santé Connect userinfo → a typed professional identity (pure Python, no Django).

PSC sends ``SubjectNameID`` (idNat), names, and ``SubjectRefPro``: one ``exercices`` entry
per profession, each with its ``activities`` (where and how it is practised). Every value
is a string, empty when unknown. A claim set that cannot identify a professional raises
``MalformedClaims``, whose reason goes to the log and whose message to the user is French.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apps.structures.activities import Activity
from mailproto.identifiers import InvalidIdNat, idnat_parse

from .professions import Profession, ProfessionFamily, profession_lookup

__all__ = ["Activity", "Exercise", "MalformedClaims", "PSCIdentity", "identity_from_claims"]


class MalformedClaims(ValueError):
    """The identity sent by PSC is unusable; ``str()`` says why, for the operator."""


@dataclass(frozen=True)
class Exercise:
    profession_code: str
    profession: Profession
    category_code: str  # codeCategorieProfessionnelle: C civil, M militaire, E étudiant...
    civility: str
    family_name: str
    given_name: str
    savoir_faire_type: str
    savoir_faire_code: str
    activities: tuple[Activity, ...]

    @property
    def family(self) -> ProfessionFamily:
        return self.profession.family


@dataclass(frozen=True)
class PSCIdentity:
    idnat: str
    registry: str
    given_name: str
    family_name: str
    civility: str
    exercises: tuple[Exercise, ...]

    @property
    def activities(self) -> tuple[Activity, ...]:
        return tuple(a for e in self.exercises for a in e.activities)


def _text(mapping: Mapping[str, Any], key: str, limit: int = 200) -> str:
    value = mapping.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise MalformedClaims(f"claim {key!r} is not a string")
    return str(value).strip()[:limit]


def _city(activity: Mapping[str, Any]) -> str:
    """``bureauCedex`` reads "75009 PARIS": the city is what follows the postcode."""
    office = _text(activity, "bureauCedex")
    postcode = _text(activity, "codePostal")
    if postcode and office.startswith(postcode):
        office = office[len(postcode):]
    return office.strip()


def identity_from_claims(claims: Mapping[str, Any], *, lenient_idnat: bool = False) -> PSCIdentity:
    if not isinstance(claims, Mapping):
        raise MalformedClaims("userinfo is not an object")
    try:
        idnat = idnat_parse(_text(claims, "SubjectNameID", 80), lenient=lenient_idnat)
    except InvalidIdNat as exc:
        raise MalformedClaims(f"SubjectNameID: {exc}") from exc
    ref = claims.get("SubjectRefPro") or {}
    if not isinstance(ref, Mapping):
        raise MalformedClaims("SubjectRefPro is not an object")
    raw_exercises = ref.get("exercices") or []
    if not isinstance(raw_exercises, list):
        raise MalformedClaims("SubjectRefPro.exercices is not a list")
    exercises = []
    for raw in raw_exercises:
        if not isinstance(raw, Mapping):
            raise MalformedClaims("an exercice is not an object")
        raw_activities = raw.get("activities") or []
        if not isinstance(raw_activities, list) or not all(
                isinstance(a, Mapping) for a in raw_activities):
            raise MalformedClaims("exercice.activities is not a list of objects")
        activities = tuple(Activity(
            mode=_text(a, "codeModeExercice", 10), sector=_text(a, "codeSecteurDactivite", 20),
            name=_text(a, "raisonSocialeSite") or _text(a, "enseigneCommercialeSite"),
            finess=_text(a, "numeroFinessSite", 20),
            finess_legal=_text(a, "numeroFinessetablissementJuridique", 20),
            siret=_text(a, "numeroSiretSite", 20),
            technical_id=_text(a, "identifiantTechniqueDeLaStructure", 40),
            postcode=_text(a, "codePostal", 10), city=_city(a)) for a in raw_activities)
        code = _text(raw, "codeProfession", 10)
        exercises.append(Exercise(
            profession_code=code, profession=profession_lookup(code),
            category_code=_text(raw, "codeCategorieProfessionnelle", 10),
            civility=_text(raw, "codeCiviliteDexercice", 10),
            family_name=_text(raw, "nomDexercice", 150),
            given_name=_text(raw, "prenomDexercice", 150),
            savoir_faire_type=_text(raw, "codeTypeSavoirFaire", 10),
            savoir_faire_code=_text(raw, "codeSavoirFaire", 20), activities=activities))
    given = _text(claims, "given_name", 150) or (exercises[0].given_name if exercises else "")
    family = _text(claims, "family_name", 150) or (exercises[0].family_name if exercises else "")
    if not (given or family):
        raise MalformedClaims("no name in the claims")
    return PSCIdentity(idnat=idnat.value, registry=idnat.registry, given_name=given,
                       family_name=family, civility=_text(ref, "codeCivilite", 10),
                       exercises=tuple(exercises))
