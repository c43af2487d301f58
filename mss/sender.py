"""The sender label of a message (ECO.2.2.7): ``<Titre>_<Prénom>_<NOM>_<Entité>`` for a
person's mailbox, ``<Fonction>_<Entité>`` for an organisational one, so that a recipient
knows who wrote and for which structure before opening anything. Parts that are unknown
are left out, never written empty; the title comes from PSC's practice civility
(TRE_R11 ``DR``, ``PR``) or, failing that, the civility (TRE_R81 ``M``, ``MME``)."""

from __future__ import annotations

TITLES = {"DR": "Dr", "PR": "Pr", "M": "M.", "MME": "Mme", "MLLE": "Mlle", "ME": "Me"}


def _clean(text: str) -> str:
    """One line, single spaces: a label is a header's display name."""
    return " ".join(text.replace("_", " ").split())


def person_label(*, title_code: str, given_name: str, family_name: str, entity: str = "") -> str:
    parts = [TITLES.get(title_code.strip().upper(), ""), _clean(given_name), _clean(family_name).upper(),
             _clean(entity)]
    return "_".join(part for part in parts if part)


def function_label(*, function: str, entity: str = "") -> str:
    return "_".join(part for part in (_clean(function), _clean(entity)) if part)
