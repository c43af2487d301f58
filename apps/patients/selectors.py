"""Reads of the patient registry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from apps.core.search import prefix_q, word_q
from apps.core.text import search_key
from mailproto.identifiers import ascii_digits

from .models import Patient

SEARCH_LIMIT = 20


def patient_search(*, owner: Any, query: str, limit: int = SEARCH_LIMIT) -> list[Patient]:
    """The professional's patients matching ``query``: a date of birth (JJ/MM/AAAA), the start
    of an INS, or name words (each must begin a word of the birth name, used name or first
    names); indexed prefix lookups, at most ``limit``."""
    patients: QuerySet[Patient] = Patient.objects.filter(owner=owner)
    text = query.strip()
    compact = text.replace(" ", "")
    if len(text) == 10 and text[2] == "/" and text[5] == "/":
        try:
            born = dt.datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError:
            return []
        return list(patients.filter(birth_date=born)[:limit])
    if len(compact) >= 5 and (ascii_digits(compact[:5])):
        return list(patients.filter(prefix_q("matricule", compact.upper()))[:limit])
    words = search_key(text).split()[:4]
    if not words:
        return []
    # The first word begins the birth name (the index's prefix); the others begin any word.
    found = patients.filter(prefix_q("name_key", words[0]))
    for word in words[1:]:
        found = found.filter(word_q("name_key", word))
    return list(found.order_by("name_key")[:limit])


def habilitation_allows(*, owner_id: int | None, structure_id: int | None, mailbox_id: int, matricule: str,
                        today: dt.date | None = None) -> bool:
    """Whether the patient may write to this mailbox today: a habilitation of its owner or
    of its structure, for every mailbox or this one, not past its last day."""
    from django.db.models import Q

    from .models import Habilitation

    if owner_id is None and structure_id is None:
        return False
    today = today or dt.date.today()
    holder = Q(owner_id=owner_id) if owner_id is not None else Q(pk__in=[])
    if structure_id is not None:
        holder |= Q(structure_id=structure_id)
    return Habilitation.objects.filter(holder, Q(mailbox_id__isnull=True) | Q(mailbox_id=mailbox_id),
                                       Q(until__isnull=True) | Q(until__gte=today),
                                       matricule=matricule).exists()


def patient_get(*, owner: Any, patient_id: int) -> Patient | None:
    """One of the professional's own patients, or None."""
    return Patient.objects.filter(owner_id=owner.pk, pk=patient_id).first()


@dataclass(frozen=True)
class PatientListView:
    patients: list[Patient]
    allowed: set[str]  # the matricules of those who may write to the professional


def patient_list_view(*, owner: Any, query: str, limit: int) -> PatientListView:
    """The patients page: those matching ``query`` (else the latest added), and which of them
    hold a habilitation of the professional's."""
    patients = (patient_search(owner=owner, query=query, limit=limit) if query.strip()
                else list(Patient.objects.filter(owner_id=owner.pk).order_by("-created_at")[:limit]))
    allowed = patients_allowed(owner=owner, patients=patients)
    for patient in patients:
        patient.may_write = patient.matricule in allowed  # type: ignore[attr-defined]
    return PatientListView(patients=patients, allowed=allowed)


def patients_allowed(*, owner: Any, patients: list[Patient]) -> set[str]:
    """The matricules, among these patients, of those a habilitation of the professional's
    lets write to them."""
    from .models import Habilitation

    return set(Habilitation.objects.filter(owner_id=owner.pk, matricule__in=[p.matricule for p in patients])
               .values_list("matricule", flat=True))
