from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as _noop

from mss import bounces, integration, subjects

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


_BOUNCES = {
    bounces.CLOSED: (_noop("the recipient's mailbox is closed"),
                     _noop("the patient's Mon espace santé mailbox is closed")),
    bounces.UNKNOWN: (_noop("unknown recipient"), _noop("this patient is not known to Mon espace santé")),
    bounces.INVALID: (_noop("the address is not valid"), _noop("this patient address is not valid")),
    bounces.TOO_LARGE: (_noop("the message is too large for the recipient's server"),
                        _noop("the message is over Mon espace santé's limit of 25 MB")),
}


@register.filter
def bounce_reason(report: object) -> str:
    """Why a delivery report says the message did not arrive, in French ("" when it does
    not say): worded for a patient when the recipient is a Mon espace santé address."""
    kind = bounces.bounce_kind(status=getattr(report, "status", ""),
                               diagnostic=getattr(report, "diagnostic", ""))
    if not kind:
        return ""
    recipient = str(getattr(report, "recipient", ""))
    domain = settings.MSSANTE_PATIENT_DOMAIN
    patient = bool(domain) and recipient.endswith("@" + domain)
    return _(_BOUNCES[kind][1 if patient else 0])


@register.filter
def patient_name(patients: dict[str, str] | None, ins: str) -> str:
    """The name the user's patient list gives this INS ("" when the list does not know it)."""
    return (patients or {}).get(ins, "")
