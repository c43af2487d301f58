from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from mss import integration, subjects

register = template.Library()


@register.filter
def list_subject(subject: str | None) -> str:
    """Without the "XDM/1.0/DDM+" prefix of a health document's message."""
    return subjects.subject_shown(subject)


@register.filter
def integration_reason(report: object) -> str:
    """Why the recipient's software could not integrate the document, in French: the known
    codes' own sentence, else the words it sent."""
    known = integration.APPLICATION_ERRORS.get(getattr(report, "error_code", ""))
    if known:
        return _(known)
    return getattr(report, "error_label", "") or _(integration.APPLICATION_ERRORS[integration.OTHER])


@register.simple_tag
def integration_answers() -> list[tuple[str, str]]:
    """The codes a read receipt may give for a document not integrated, with their words."""
    return [(code, _(label)) for code, label in integration.APPLICATION_ERRORS.items()]
