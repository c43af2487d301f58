"""What MSSanté subjects mean: a health document's message ("XDM/1.0/DDM+<label>", the
prefix clients hide, ECO.3.1.3) and the integration failure a receiving platform sends
when no read receipt was asked ("[KO Intégration système !][<code>] XDM/1.0/DDM+…")."""

from __future__ import annotations

XDM_PREFIX = "XDM/1.0/DDM+"
INTEGRATION_KO_PREFIX = "[KO Intégration système !]"


def subject_shown(subject: str | None) -> str:
    """The subject as a list shows it: without the XDM prefix."""
    subject = (subject or "").strip()
    if subject.upper().startswith(XDM_PREFIX):
        return subject[len(XDM_PREFIX):].strip()
    return subject
