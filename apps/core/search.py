"""Indexed word and prefix conditions, for the registries people search as they type (the
directory, the patients)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q


def prefix_q(field: str, value: str) -> Q:
    """A prefix condition that uses the column's index on both databases: a range on
    SQLite (its LIKE is case-insensitive and skips ordinary indexes), LIKE 'x%' on
    PostgreSQL (with a pattern_ops index on the column)."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\uffff"})
    return Q(**{f"{field}__startswith": value})


def word_q(field: str, value: str) -> Q:
    """``value`` begins one of the space-separated words of ``field``."""
    return Q(**{f"{field}__startswith": value}) | Q(**{f"{field}__contains": " " + value})
