"""Reads of the patient registry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from apps.core.search import prefix_q, word_q
from apps.core.text import search_key

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
    if len(compact) >= 5 and (compact[:5].isdigit()):
        return list(patients.filter(prefix_q("matricule", compact.upper()))[:limit])
    words = search_key(text).split()[:4]
    if not words:
        return []
    # The first word begins the birth name (the index's prefix); the others begin any word.
    found = patients.filter(prefix_q("name_key", words[0]))
    for word in words[1:]:
        found = found.filter(word_q("name_key", word))
    return list(found.order_by("name_key")[:limit])
