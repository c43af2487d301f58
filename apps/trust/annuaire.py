"""The Annuaire Santé "Extraction_Correspondance_MSSante" file, read as a stream (pure).

A zip of one UTF-8 text file (or the text file itself), ``|``-separated, a header line
and 31 columns; about 535,000 mailboxes, the address being the only key. Rows are read one
at a time (the full file is ~90 MB), checked against the expected header, and reduced to
what the site keeps, with accent- and case-free search keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

from apps.core.text import search_key
from mailproto.identifiers import ascii_digits

COLUMNS = (
    "Type de BAL", "Adresse BAL", "Type Identifiant PP", "Identifiant PP",
    "Identification nationale PP", "Type identifiant structure", "Identification Structure",
    "Service de rattachement", "Civilité d'exercice", "Nom d'exercice", "Prénom d'exercice",
    "Catégorie profession", "Libellé de catégorie profession", "Code Profession",
    "Libellé Profession", "Code savoir-faire", "Libellé savoir-faire", "Dématérialisation",
    "Raison Sociale structure BAL", "Enseigne commerciale structure BAL",
    "L2COMPLEMENTLOCALISATION structure BAL", "L3COMPLEMENTDISTRIBUTION structure BAL",
    "L4NUMEROVOIE structure BAL", "L4COMPLEMENTNUMEROVOIE structure BAL",
    "NL4TYPEVOIE structure BAL", "L4LIBELLEVOIE structure BAL",
    "L5LIEUDITMENTION structure BAL", "L6LIGNEACHEMINEMENT structure BAL",
    "Code postal structure BAL", "Département structure BAL", "Pays structure BAL",
)
MAX_UNCOMPRESSED = 1024 * 1024 * 1024  # the real file is ~90 MB
MAX_RATIO = 50  # text compresses ~8:1; far more means a zip bomb


class AnnuaireError(ValueError):
    """The file cannot be imported; ``str()`` says why."""


class DirectoryRecord(NamedTuple):
    address: str
    mailbox_type: str
    idnat: str
    civility: str
    family_name: str
    given_name: str
    profession_code: str
    profession_label: str
    savoir_faire_label: str
    structure_name: str
    structure_ref: str  # "finess:690000031": how structures are keyed (apps.structures.activities)
    service: str
    address_lines: str
    postcode: str
    city: str
    department: str
    name_key: str
    given_key: str
    city_key: str
    structure_key: str
    profession_key: str
    row_hash: str


def _city(line6: str, postcode: str) -> str:
    if postcode and line6.startswith(postcode):
        return line6[len(postcode):].strip()
    return line6.strip()


def record_from_fields(fields: list[str]) -> DirectoryRecord | None:
    if len(fields) < len(COLUMNS):
        fields = fields + [""] * (len(COLUMNS) - len(fields))
    address = fields[1].strip().lower()
    if "@" not in address:
        return None
    family, given = fields[9].strip(), fields[10].strip()
    structure = (fields[18].strip() or fields[19].strip())
    postcode = fields[28].strip()
    city = _city(fields[27].strip(), postcode)
    ref_type, ref_id = fields[5].strip().lower(), fields[6].strip()
    structure_ref = f"{ref_type}:{ref_id}" if ref_type and ref_id else ""
    lines = " ".join(x.strip() for x in (fields[20], fields[21], fields[22], fields[23],
                                         fields[24], fields[25], fields[26]) if x.strip())
    values = (address, fields[0].strip()[:3], fields[4].strip(), fields[8].strip(), family,
              given, fields[13].strip(), fields[14].strip(), fields[16].strip(), structure,
              structure_ref, fields[7].strip(), lines, postcode, city, fields[29].strip())
    digest = hashlib.md5("|".join(values).encode(), usedforsecurity=False).hexdigest()
    return DirectoryRecord(
        *values,
        name_key=search_key(f"{family} {given}"), given_key=search_key(given),
        city_key=search_key(city), structure_key=search_key(f"{structure} {fields[7].strip()}"),
        profession_key=search_key(fields[14]), row_hash=digest)


def _text_stream(path: Path) -> Iterator[IO[str]]:
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise AnnuaireError(f"the zip holds {len(members)} files, one was expected")
            member = members[0]
            if member.file_size > MAX_UNCOMPRESSED or (
                    member.compress_size and member.file_size / member.compress_size > MAX_RATIO):
                raise AnnuaireError("the zip expands too much (zip bomb?)")
            with archive.open(member) as stream:
                capped = io.BufferedReader(_Capped(stream, MAX_UNCOMPRESSED), buffer_size=1 << 20)
                yield io.TextIOWrapper(capped, encoding="utf-8", errors="replace", newline="")
    else:
        with path.open(encoding="utf-8", errors="replace", newline="") as text:
            yield text


class _Capped(io.RawIOBase):
    """Refuses to read past ``limit`` bytes, whatever the zip header claimed."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.stream.read(min(len(buffer), self.left + 1))
        if len(data) > self.left:
            raise AnnuaireError("the file expands beyond its size limit")
        self.left -= len(data)
        buffer[:len(data)] = data
        return len(data)


class ReadStats(NamedTuple):
    rows: int
    skipped: int


def read_extraction(path: Path, stats: list[ReadStats] | None = None) -> Iterator[DirectoryRecord]:
    """Records of the file, one at a time. ``stats`` (if given) receives the counts."""
    rows = skipped = 0
    for text in _text_stream(path):
        header = text.readline().lstrip("\ufeff").rstrip("\r\n").split("|")
        if tuple(h.strip() for h in header[:len(COLUMNS)]) != COLUMNS:
            raise AnnuaireError("unexpected header: not an Extraction_Correspondance_MSSante file")
        for line in text:
            line = line.rstrip("\r\n")
            if not line:
                continue
            record = record_from_fields(line.split("|"))
            if record is None:
                skipped += 1
                continue
            rows += 1
            yield record
    if stats is not None:
        stats.append(ReadStats(rows, skipped))


def extraction_date(name: str) -> dt.datetime | None:
    """The date in an extraction's file name ("Extraction_Correspondance_MSSante_202611280457.txt",
    as the Annuaire Santé names them: YYYYMMDD then hour and minute), else None."""
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    digits = stem.rsplit("_", 1)[-1]
    if not ascii_digits(digits) or len(digits) not in (8, 12, 14):
        return None
    try:
        return dt.datetime.strptime(digits[:12].ljust(12, "0"), "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
