"""The out-of-office reply as a Sieve script (RFC 5230 vacation, RFC 5260 dates), written
and read back by this site only (pure Python).

The script starts with one comment line holding its settings as JSON, which is what is
read back: the Sieve below it is generated, never parsed. When the user already had an
active script (filters set with another client), ours includes it first, so that their
filters keep running, and its name is remembered to give it back when the reply is off.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass

from .client import sieve_quote

SCRIPT_NAME = "mssante-web"
MARKER = "# mssante-web vacation "
MAX_SUBJECT = 200
MAX_TEXT = 4000
DAYS = range(1, 31)
_ZONE = re.compile(r"[+-]\d{4}")


@dataclass(frozen=True)
class Vacation:
    subject: str
    text: str
    start: dt.date | None = None
    end: dt.date | None = None
    days: int = 7  # one reply per sender per this many days (RFC 5230 :days)
    addresses: tuple[str, ...] = ()  # the mailbox's addresses: replies only to mail sent to them
    includes: str = ""  # the user's own active script, run first and given back when off
    # UTC offsets ("+0100") of the user's time zone on the first and last day: the server
    # compares dates in its own zone otherwise, and a reply set at 00:30 in Paris for
    # "today" would not start before the server's midnight.
    start_zone: str = ""
    end_zone: str = ""

    def active_on(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def vacation_script(vacation: Vacation) -> str:
    """The Sieve script of ``vacation`` (subject and text already bounded by the caller)."""
    settings = asdict(vacation)
    settings["start"] = vacation.start.isoformat() if vacation.start else None
    settings["end"] = vacation.end.isoformat() if vacation.end else None
    settings["addresses"] = list(vacation.addresses)
    header = MARKER + json.dumps(settings, ensure_ascii=True)
    required = ["vacation"]
    tests = []
    bounds = ((vacation.start, vacation.start_zone, "ge"), (vacation.end, vacation.end_zone, "le"))
    for day, zone, relation in bounds:
        if day:
            zoned = f":zone {sieve_quote(zone)} " if _ZONE.fullmatch(zone) else ""
            tests.append(f'currentdate {zoned}:value "{relation}" "date" {sieve_quote(day.isoformat())}')
    if tests:
        required += ["date", "relational"]
    if vacation.includes:
        required.append("include")
    lines = [header, f"require [{', '.join(sieve_quote(r) for r in required)}];"]
    if vacation.includes:
        lines.append(f"include :personal {sieve_quote(vacation.includes)};")
    quoted = ", ".join(sieve_quote(a) for a in vacation.addresses)
    addresses = f":addresses [{quoted}] " if vacation.addresses else ""
    subject, text = sieve_quote(vacation.subject[:MAX_SUBJECT]), sieve_quote(vacation.text[:MAX_TEXT])
    action = f"vacation :days {max(1, min(30, vacation.days))} {addresses}:subject {subject} {text};"
    if tests:
        lines += [f"if allof({', '.join(tests)}) {{", f"  {action}", "}"]
    else:
        lines.append(action)
    return "\n".join(lines) + "\n"


def vacation_from_script(script: str) -> Vacation | None:
    """The settings of a script this site wrote; None for anything else."""
    first = script.split("\n", 1)[0]
    if not first.startswith(MARKER) or len(first) > 20_000:
        return None
    try:
        data = json.loads(first[len(MARKER):])
        return Vacation(
            subject=str(data["subject"])[:MAX_SUBJECT], text=str(data["text"])[:MAX_TEXT],
            start=dt.date.fromisoformat(data["start"]) if data.get("start") else None,
            end=dt.date.fromisoformat(data["end"]) if data.get("end") else None,
            days=int(data.get("days", 7)), addresses=tuple(str(a) for a in data.get("addresses", [])),
            includes=str(data.get("includes", "")), start_zone=str(data.get("start_zone", "")),
            end_zone=str(data.get("end_zone", "")))
    except (ValueError, KeyError, TypeError):
        return None
