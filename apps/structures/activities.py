"""Where a professional practises, as the structures app needs it (pure Python, no Django).

Pro Santé Connect describes each activity of a professional; ``apps.accounts.psc_claims``
builds these from the userinfo claims. The dataclass lives here, in the lower layer, so
that accounts (which calls structures at sign-in) and structures share it without
structures ever importing accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Activity:
    mode: str  # codeModeExercice: L libéral, S salarié, B bénévole...
    sector: str  # codeSecteurDactivite (TRE_R02)
    name: str
    finess: str
    finess_legal: str
    siret: str
    technical_id: str
    postcode: str
    city: str

    @property
    def structure_key(self) -> tuple[str, str]:
        """The strongest identifier available: FINESS site, SIRET, PSC's technical id, and
        as a last resort the name and postcode (some real activities carry nothing else)."""
        if self.finess:
            return ("finess", self.finess)
        if self.siret:
            return ("siret", self.siret)
        if self.technical_id:
            return ("technical", self.technical_id)
        return ("name", f"{self.name.strip().upper()}|{self.postcode}")


class Practice(Protocol):
    """A profession practised in some activities: what a membership is made from
    (``apps.accounts.psc_claims.Exercise`` is one)."""

    @property
    def profession_code(self) -> str: ...

    @property
    def activities(self) -> Sequence[Activity]: ...
