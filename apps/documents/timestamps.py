"""HL7 v3 timestamps (TS) as datetimes: read from CDA headers and narratives alike. Pure."""

from __future__ import annotations

import datetime as dt


def hl7_time(value: str | None) -> dt.datetime | None:
    """An HL7 TS ("20240315", "20240315103000.000+0100") as a datetime (aware when it
    carries an offset); None when unreadable."""
    if not value:
        return None
    value = value.strip()
    end = 0
    while end < len(value) and "0" <= value[end] <= "9":
        end += 1
    digits = value[:end]
    if len(digits) < 8:
        return None
    try:
        moment = dt.datetime.strptime(digits[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    rest = value[end:]
    if rest.startswith("."):
        fraction = 1
        while fraction < len(rest) and "0" <= rest[fraction] <= "9":
            fraction += 1
        rest = rest[fraction:]
    if len(rest) == 5 and rest[0] in "+-" and rest[1:].isascii() and rest[1:].isdigit():
        delta = dt.timedelta(hours=int(rest[1:3]), minutes=int(rest[3:]))
        return moment.replace(tzinfo=dt.timezone(delta if rest[0] == "+" else -delta))
    return moment
