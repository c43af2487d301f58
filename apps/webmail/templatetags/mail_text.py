from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# MSSanté document messages carry "XDM/1.0/DDM+<label>" subjects; clients hide the prefix.
XDM_PREFIX = "XDM/1.0/DDM+"


@register.filter
def list_subject(subject: str | None) -> str:
    subject = (subject or "").strip()
    if subject.upper().startswith(XDM_PREFIX):
        return subject[len(XDM_PREFIX):].strip()
    return subject


# The MSSanté integration answers a receiving software sends back in a read receipt
# ("processed/Error: <code>^<label>", ANS IG "transmission de documents CDA par courriel").
INTEGRATION_ERRORS = {
    "900": _("the document could not be processed"),
    "901": _("the document is not valid"),
    "902": _("unknown patient"),
    "903": _("the patient's INS is missing"),
    "904": _("the patient's INS does not match"),
    "905": _("the patient's INS is incomplete"),
    "906": _("the document could not be integrated"),
}


@register.filter
def integration_reason(report: object) -> str:
    """Why the recipient's software could not integrate the document, in French: the known
    codes' own sentence, else the words it sent."""
    code = getattr(report, "error_code", "")
    known = INTEGRATION_ERRORS.get(code)
    return str(known) if known else (getattr(report, "error_label", "") or str(INTEGRATION_ERRORS["900"]))
