"""What MSSanté subjects mean: a health document's message ("XDM/1.0/DDM+<label>", the
prefix clients hide, ECO.3.1.3) and the integration failure a receiving platform sends
when no read receipt was asked ("[KO Intégration système !][<code>] XDM/1.0/DDM+…")."""

from __future__ import annotations

XDM_PREFIX = "XDM/1.0/DDM+"
INTEGRATION_KO_PREFIX = "[KO Intégration système !]"


def subject_shown(subject: str | None) -> str:
    """The subject as a list shows it: without the XDM prefix, also after the
    "[KO Intégration système !][code]" of an integration failure."""
    subject = (subject or "").strip()
    if subject.upper().startswith(XDM_PREFIX):
        return subject[len(XDM_PREFIX):].strip()
    failure = integration_ko_read(subject)
    if failure is not None and failure[1].upper().startswith(XDM_PREFIX):
        code = f"[{failure[0]}]" if failure[0] else ""
        return f"{INTEGRATION_KO_PREFIX}{code} {failure[1][len(XDM_PREFIX):].strip()}"
    return subject


def integration_ko_read(subject: str | None) -> tuple[str, str] | None:
    """("902", "XDM/1.0/DDM+…") from "[KO Intégration système !][902] XDM/1.0/DDM+…", the
    plain message a platform sends when it could not integrate a document and no read
    receipt was asked; None for any other subject. Read by position, never by a pattern
    over what the sender wrote."""
    text = (subject or "").strip()[:1000]
    if not text.startswith(INTEGRATION_KO_PREFIX):
        return None
    rest = text[len(INTEGRATION_KO_PREFIX):].lstrip()
    code = ""
    if rest.startswith("["):
        inside, closed, after = rest[1:].partition("]")
        if closed and inside.strip().isascii() and inside.strip().isdigit() and len(inside.strip()) <= 4:
            code, rest = inside.strip(), after
    return code, rest.strip()


END_OF_EXCHANGE_SUBJECT = "[FIN]"  # to a patient: ends their replies to every earlier message


def ends_every_exchange(subject: str | None) -> bool:
    """Mon espace santé reads a subject of exactly "[FIN]" as the end of the exchange."""
    return (subject or "").strip() == END_OF_EXCHANGE_SUBJECT
