from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from apps.flows import report_words
from mss import integration, subjects

register = template.Library()


@register.filter
def list_subject(subject: str | None) -> str:
    """Without the "XDM/1.0/DDM+" prefix of a health document's message."""
    return subjects.subject_shown(subject)


@register.filter
def integration_reason(report: object) -> str:
    return report_words.integration_reason(report)


@register.simple_tag
def integration_answers() -> list[tuple[str, str]]:
    """The codes a read receipt may give for a document not integrated, with their words."""
    return [(code, _(label)) for code, label in integration.APPLICATION_ERRORS.items()]


@register.filter
def bounce_reason(report: object) -> str:
    return report_words.bounce_reason(report)


@register.filter
def patient_name(patients: dict[str, str] | None, ins: str) -> str:
    """The name the user's patient list gives this INS ("" when the list does not know it)."""
    return (patients or {}).get(ins, "")
