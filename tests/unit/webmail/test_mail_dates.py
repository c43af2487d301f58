from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import translation

from apps.webmail.templatetags.mail_dates import mail_date

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=PARIS)


def test_dates_read_like_the_interface_brief() -> None:
    with translation.override("fr"):
        assert mail_date(dt.datetime(2026, 11, 26, 7, 42, tzinfo=dt.UTC), NOW) == "08:42"
        assert mail_date(dt.datetime(2026, 11, 25, 18, 0, tzinfo=PARIS), NOW) == "hier"
        assert mail_date(dt.datetime(2026, 11, 23, 18, 0, tzinfo=PARIS), NOW) == "lun 23 nov."
        assert mail_date(dt.datetime(2025, 11, 24, 18, 0, tzinfo=PARIS), NOW) == "24/11/2025"
        assert mail_date(None) == ""


def test_midnight_in_paris_is_not_midnight_utc() -> None:
    """23:30 UTC on the 25th is already the 26th in Paris: today, not yesterday."""
    with translation.override("fr"):
        assert mail_date(dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC), NOW) == "00:30"
