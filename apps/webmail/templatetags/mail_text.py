from __future__ import annotations

from django import template

register = template.Library()

# MSSanté document messages carry "XDM/1.0/DDM+<label>" subjects; clients hide the prefix.
XDM_PREFIX = "XDM/1.0/DDM+"


@register.filter
def list_subject(subject: str | None) -> str:
    subject = (subject or "").strip()
    if subject.upper().startswith(XDM_PREFIX):
        return subject[len(XDM_PREFIX):].strip()
    return subject
