"""Document types a professional may choose when producing a document from a PDF: entries
of the ANS value set JDV_J07-XdsTypeCode-CISIS (LOINC codes, with the labels the CI-SIS
examples carry). Data, not logic; extend it from the ANS terminology server."""

from __future__ import annotations

DOCUMENT_TYPES: tuple[tuple[str, str], ...] = (
    ("11502-2", "CR d'examens biologiques"),
    ("18748-4", "CR d'imagerie médicale"),
    ("11490-0", "Lettre de liaison à la sortie d'un établissement de soins"),
    ("18761-7", "Note de transfert (dont lettre de liaison à l'entrée en établissement de soins)"),
    ("34133-9", "Synthèse d'épisode de soins"),
    ("60591-5", "Synthèse médicale"),
    ("57833-6", "Prescription de produits de santé"),
    ("18776-5", "Plan personnalisé de soins"),
    ("74207-2", "Dossier de liaison d'urgence"),
    ("11369-6", "Historique de vaccinations"),
    ("51969-4", "CR de génétique moléculaire"),
    ("85208-7", "Compte-rendu d'acte de télémédecine"),
)
DOCUMENT_TYPE_LABELS = dict(DOCUMENT_TYPES)
