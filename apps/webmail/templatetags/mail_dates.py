"""Dates as the interface brief wants them: "10:42" today, "hier", "lun. 24 nov." this year,
"24/11/2025" before, always in Europe/Paris (the site's TIME_ZONE)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def mail_date(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    if value is None:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    local = timezone.localtime(value)
    today = timezone.localtime(now or timezone.now()).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.date() == today - dt.timedelta(days=1):
        return _("yesterday")
    if local.year == today.year:
        return formats.date_format(local, "D j N")
    return formats.date_format(local, "d/m/Y")


@register.filter
def document_time(value: dt.datetime | None) -> str:
    """A time a health document gives, as it gives it: in its own offset, never converted
    ("4 janvier 2021, 13:47 +0100"; a date alone when it has no time)."""
    if value is None:
        return ""
    day = formats.date_format(value.replace(tzinfo=None), "j F Y")  # the document's own wall clock
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return day
    clock = value.strftime("%H:%M:%S" if value.second else "%H:%M")
    offset = value.strftime(" %z") if value.tzinfo else ""
    return f"{day}, {clock}{offset}"
