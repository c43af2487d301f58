"""The patient list as a spreadsheet exports it (pure Python): one patient per line, the
columns named by the header (French names, any order, ``;`` or ``,``), each line checked
on its own; a refused line is reported with its number and reason, the others kept.

Columns: ``ins`` (required), ``type_ins`` (NIR, NIA, TEST, DEMO; default NIR),
``nom_naissance``, ``prenoms``, ``date_naissance`` (JJ/MM/AAAA or AAAA-MM-JJ), ``sexe``
(F, M, U), optional ``lieu_naissance``, ``nom_usage``, ``qualifie`` (oui/non).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

from apps.core.text import search_key
from mss.ins import DEMO_OID, NIA_OID, NIR_OID, TEST_OID, InsInvalid, ins_parse

MAX_LINES = 200_000
KINDS = {"NIR": NIR_OID, "NIA": NIA_OID, "TEST": TEST_OID, "DEMO": DEMO_OID}
REQUIRED = ("ins", "nom_naissance", "prenoms", "date_naissance", "sexe")


@dataclass(frozen=True)
class PatientRow:
    line: int
    matricule: str
    oid: str
    qualified: bool
    birth_name: str
    given_names: str
    birth_date: dt.date
    sex: str
    birthplace: str
    used_name: str

    @property
    def name_key(self) -> str:
        return search_key(f"{self.birth_name} {self.used_name} {self.given_names}")


@dataclass(frozen=True)
class RefusedLine:
    line: int
    reason: str  # "columns", "ins_length", "ins_key", ..., "date", "sex", "name", "duplicate", "too_many"


def _date(value: str) -> dt.date | None:
    value = value.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def registry_rows(text: str, *, real_only: bool = False) -> Iterator[PatientRow | RefusedLine]:
    """Each line, checked: a ``PatientRow`` or a ``RefusedLine``; a matricule seen twice in
    the file is refused the second time."""
    first = text[:text.find("\n")] if "\n" in text else text
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [search_key(h).replace(" ", "_") for h in next(reader, [])]
    if not all(name in header for name in REQUIRED):
        yield RefusedLine(1, "columns")
        return
    column = {name: header.index(name) for name in header}
    seen: set[str] = set()
    for number, fields in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            yield RefusedLine(number, "too_many")
            return
        if not any(f.strip() for f in fields):
            continue
        fields = fields + [""] * (len(header) - len(fields))

        def get(name: str, fields: list[str] = fields) -> str:
            return fields[column[name]].strip()[:200] if name in column else ""
        kind = (get("type_ins") or "NIR").upper()
        try:
            ins = ins_parse(get("ins"), KINDS.get(kind, "?"), real_only=real_only)
        except InsInvalid as exc:
            yield RefusedLine(number, f"ins_{exc.reason}")
            continue
        born = _date(get("date_naissance"))
        sex = get("sexe").upper()[:1]
        if born is None or not dt.date(1870, 1, 1) <= born <= dt.date.today():
            yield RefusedLine(number, "date")
        elif sex not in ("F", "M", "U"):
            yield RefusedLine(number, "sex")
        elif not get("nom_naissance") or not get("prenoms"):
            yield RefusedLine(number, "name")
        elif ins.matricule in seen:
            yield RefusedLine(number, "duplicate")
        else:
            seen.add(ins.matricule)
            yield PatientRow(line=number, matricule=ins.matricule, oid=ins.oid,
                             qualified=get("qualifie").lower() in ("oui", "o", "1", "true", "vrai"),
                             birth_name=get("nom_naissance").upper()[:100], given_names=get("prenoms")[:200],
                             birth_date=born, sex=sex, birthplace=get("lieu_naissance")[:5],
                             used_name=get("nom_usage").upper()[:100])
