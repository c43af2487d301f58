"""Text helpers shared by the apps that search people by name (pure Python)."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9@.]+")  # one character class, no backtracking


def search_key(text: str) -> str:
    """"Hélène D'ARC-Émile" → "helene d arc emile": accents, case and punctuation gone
    (how the directory and the patient registry are searched)."""
    if text.isascii():
        return " ".join(_NOT_WORD.split(text.lower())).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.split(stripped.lower())).strip()
