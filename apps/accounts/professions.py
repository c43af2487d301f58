"""Profession codes as PSC sends them (``codeProfession``) and the family each belongs to.

The code sets do not overlap, so the code alone tells the family: TRE_G15 health
professions, TRE_R94 social and medico-social professions, TRE_R95 professionals by title,
TRE_R96 other sanitary functions, TRE_R85 roles (assistant maternel...). Source: ANS
terminologies, value set JDV_J54-Profession-ROR (version 20250523120000). Pure Python.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class ProfessionFamily(StrEnum):
    HEALTH = "health"  # TRE_G15
    SOCIAL = "social"  # TRE_R94, and the medico-social roles of TRE_R85
    BY_TITLE = "by_title"  # TRE_R95
    OTHER = "other"


class Profession(NamedTuple):
    label: str
    family: ProfessionFamily
    system: str


_H, _S, _T, _O = (ProfessionFamily.HEALTH, ProfessionFamily.SOCIAL, ProfessionFamily.BY_TITLE,
                  ProfessionFamily.OTHER)

PROFESSIONS: dict[str, Profession] = {
    code: Profession(label, family, system) for system, family, entries in [
        ("TRE_G15", _H, {
            "10": "Médecin", "21": "Pharmacien", "26": "Audioprothésiste",
            "28": "Opticien-lunetier", "31": "Assistant dentaire", "32": "Physicien médical",
            "35": "Aide-soignant", "36": "Ambulancier", "37": "Auxiliaire de puériculture",
            "38": "Préparateur en pharmacie hospitalière",
            "39": "Préparateur en pharmacie (officine)", "40": "Chirurgien-dentiste",
            "50": "Sage-femme", "60": "Infirmier", "69": "Infirmier psychiatrique",
            "70": "Masseur-kinésithérapeute", "80": "Pédicure-podologue",
            "81": "Orthoprothésiste", "82": "Podo-orthésiste", "83": "Orthopédiste-orthésiste",
            "84": "Oculariste", "85": "Épithésiste", "86": "Technicien de laboratoire médical",
            "91": "Orthophoniste", "92": "Orthoptiste", "93": "Psychologue",
            "94": "Ergothérapeute", "95": "Diététicien", "96": "Psychomotricien",
            "98": "Manipulateur ERM"}),
        ("TRE_R94", _S, {
            "41": "Assistant de service social", "42": "Auxiliaire de vie sociale",
            "43": "Technicien de l'intervention sociale et familiale",
            "44": "Conseiller en économie sociale et familiale", "45": "Médiateur familial",
            "46": "Assistant familial", "47": "Aide médico-psychologique",
            "48": "Moniteur éducateur", "49": "Éducateur de jeunes enfants",
            "51": "Éducateur spécialisé", "52": "Éducateur technique spécialisé",
            "53": "Accompagnant éducatif et social"}),
        ("TRE_R95", _T, {
            "71": "Ostéopathe", "72": "Psychothérapeute", "73": "Chiropracteur",
            "97": "Conseiller en génétique"}),
        ("TRE_R96", _O, {"407": "Tatoueur", "408": "Perceur corporel",
                         "409": "Maquilleur permanent"}),
        ("TRE_R85", _S, {"330": "Coordonnateur de parcours", "350": "Aide à domicile",
                         "351": "Assistant maternel"}),
    ] for code, label in entries.items()
}


def profession_lookup(code: str) -> Profession:
    return PROFESSIONS.get(code.strip(), Profession(f"Profession {code}".strip(), _O, "unknown"))
