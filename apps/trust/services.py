"""Writes of the trust space: whitelist and directory imports."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from apps.core.sources import source_open, source_read

from .annuaire import AnnuaireError, DirectoryRecord, ReadStats, extraction_date, read_extraction
from .models import DirectoryEntry, DirectoryImport, DirectoryStaging, WhitelistDomain, WhitelistImport
from .whitelist import Whitelist, WhitelistError, whitelist_parse

logger = logging.getLogger(__name__)
WHITELIST_CACHE_KEY = "trust:whitelist:names"
# The names as this process holds them (selectors._imported_names), emptied at an import.
WHITELIST_LOCAL: dict[str, tuple[float, frozenset[str]]] = {}


def whitelist_import(*, data: bytes, source: str, expected_sha256: str | None = None) -> Whitelist:
    """Replace the whitelist in one transaction; on any defect keep the previous one, log
    it and record the failed attempt (shown in the admin)."""
    try:
        parsed = whitelist_parse(data, expected_sha256=expected_sha256)
    except WhitelistError as exc:
        logger.error("whitelist from %s refused, previous list kept: %s", source, exc)
        WhitelistImport.objects.create(source=source[:500], ok=False, error=str(exc)[:500])
        raise
    with transaction.atomic():
        WhitelistDomain.objects.all().delete()
        WhitelistDomain.objects.bulk_create([WhitelistDomain(
            name=d.name, description=d.description, operator_dn=d.operator_dn,
            responsible_contact=d.responsible_contact, support_contact=d.support_contact,
            updated_at=d.updated_at) for d in parsed.domains], batch_size=2000)
        WhitelistImport.objects.create(
            source=source[:500], ok=True, entries=len(parsed.domains), domains=len(parsed.names),
            sha256=parsed.sha256, generated_at=parsed.generated_at, repaired=parsed.repaired)
    cache.delete(WHITELIST_CACHE_KEY)
    WHITELIST_LOCAL.clear()
    if parsed.repaired:
        logger.warning("whitelist from %s lacked its closing root tag; accepted", source)
    logger.info("whitelist imported from %s: %d entries, %d domains", source,
                len(parsed.domains), len(parsed.names))
    return parsed


def _read_source(location: str, limit: int = 60 * 1024 * 1024) -> bytes:
    return source_read(location=location, limit=limit)


def whitelist_refresh() -> Whitelist | None:
    """The daily refresh: from MSSANTE_WHITELIST_URL (or a local file), with the checksum
    from MSSANTE_WHITELIST_SHA256_URL when configured. Returns None when not configured."""
    location = settings.MSSANTE_WHITELIST_URL
    if not location:
        return None
    expected = None
    try:
        if settings.MSSANTE_WHITELIST_SHA256_URL:
            expected = _read_source(settings.MSSANTE_WHITELIST_SHA256_URL, 4096).decode("ascii", "replace")
        data = _read_source(location)
    except OSError as exc:
        logger.error("whitelist download from %s failed, previous list kept: %s", location, exc)
        WhitelistImport.objects.create(source=location[:500], ok=False,
                                       error=f"download failed: {exc}"[:500])
        raise WhitelistError(f"download failed: {exc}") from exc
    return whitelist_import(data=data, source=location, expected_sha256=expected)


def whitelist_bootstrap() -> Whitelist | None:
    """At first start: import the whitelist if none is loaded yet (from
    MSSANTE_WHITELIST_URL, a URL or a local file). A failure is logged and recorded, and the
    site starts anyway: the staff banner and /readyz say the list is missing, and compose
    says recipients cannot be checked rather than calling them outside the trust space."""
    if WhitelistDomain.objects.exists():
        return None
    try:
        return whitelist_refresh()
    except WhitelistError:
        return None


# ------------------------------------------------------------------ directory (annuaire)

@dataclass
class AnnuaireReport:
    rows: int
    skipped: int
    added: int
    changed: int
    removed: int
    seconds: float


def annuaire_import(*, path: Path, batch: int = 5000, source: str = "") -> AnnuaireReport:
    """Stream the extraction into a staging table, then switch the directory over in one
    transaction touching only what differs (new, changed, gone). Searches meanwhile see
    the previous directory whole, never half an import. An empty or unreadable file
    changes nothing."""
    started = time.monotonic()
    quote = connection.ops.quote_name
    staging = quote(DirectoryStaging._meta.db_table)
    entries = quote(DirectoryEntry._meta.db_table)
    columns = ", ".join(quote(c) for c in DirectoryRecord._fields)
    placeholders = ", ".join(["%s"] * len(DirectoryRecord._fields))
    insert = (f"INSERT INTO {staging} ({columns}) VALUES ({placeholders}) "  # noqa: S608
              f"ON CONFLICT ({quote('address')}) DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {staging}")  # noqa: S608
    stats: list[ReadStats] = []
    if connection.vendor == "postgresql":
        # COPY loads the staging table ~10x faster than INSERTs; duplicates of an address
        # in the file are dropped afterwards (the first one wins, as with ON CONFLICT).
        _copy_staging(read_extraction(path, stats), staging, columns)
    else:
        chunk: list[DirectoryRecord] = []
        for record in read_extraction(path, stats):
            chunk.append(record)
            if len(chunk) >= batch:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(insert, chunk)
                chunk = []
        if chunk:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(insert, chunk)
    rows, skipped = stats[0] if stats else (0, 0)
    if rows == 0:
        raise AnnuaireError("the file holds no mailbox: directory left unchanged")
    address, row_hash = quote("address"), quote("row_hash")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {entries} WHERE NOT EXISTS (SELECT 1 FROM {staging} s "  # noqa: S608
                       f"WHERE s.{address} = {entries}.{address})")
        removed = cursor.rowcount
        cursor.execute(f"DELETE FROM {entries} WHERE EXISTS (SELECT 1 FROM {staging} s "  # noqa: S608
                       f"WHERE s.{address} = {entries}.{address} AND s.{row_hash} <> {entries}.{row_hash})")
        changed = cursor.rowcount
        cursor.execute(f"INSERT INTO {entries} ({columns}) SELECT {columns} FROM {staging} s "  # noqa: S608
                       f"WHERE NOT EXISTS (SELECT 1 FROM {entries} e WHERE e.{address} = s.{address})")
        inserted = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {staging}")  # noqa: S608
        # Fresh statistics, or the planner keeps choosing for yesterday's directory.
        cursor.execute(f"ANALYZE {entries}")
    report = AnnuaireReport(rows=rows, skipped=skipped, added=inserted - changed, changed=changed,
                            removed=removed, seconds=round(time.monotonic() - started, 2))
    logger.info("annuaire imported from %s: %s", path, report)
    extracted = (extraction_date(source or path.name)
                 or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC))
    DirectoryImport.objects.create(source=(source or str(path))[:500], extracted_at=extracted, rows=rows)
    return report


def _copy_staging(records: Iterable[DirectoryRecord], staging: str, columns: str) -> None:
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        # The staging table's unique index would fail COPY on a duplicated address: load
        # into a temporary copy without constraints, then keep one row per address.
        cursor.execute("DROP TABLE IF EXISTS directory_load")
        cursor.execute(f"CREATE TEMPORARY TABLE directory_load ON COMMIT DROP AS "  # noqa: S608
                       f"SELECT {columns} FROM {staging} WITH NO DATA")
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY directory_load ({columns}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        cursor.execute(f"INSERT INTO {staging} ({columns}) SELECT DISTINCT ON ({quote('address')}) "  # noqa: S608
                       f"{columns} FROM directory_load ON CONFLICT DO NOTHING")


def directory_first_import_enqueue() -> str:
    """A deployment's first start: with MSSANTE_ANNUAIRE_URL set and an empty directory, the
    import is asked of a worker at once rather than at the next daily round (the first
    professionals found "Aucune boîte aux lettres…" until then). Says what it did."""
    from apps.core.queue import task_enqueue

    from .models import DirectoryEntry

    if not settings.MSSANTE_ANNUAIRE_URL:
        return "MSSANTE_ANNUAIRE_URL is not set: no directory import"
    if DirectoryEntry.objects.exists():
        return "the directory is already loaded"
    task_enqueue(name="trust.annuaire_refresh_task", args=[])
    logger.info("directory empty: its first import was asked of a worker")
    return "the directory is empty: its import was asked of a worker"


def annuaire_refresh() -> AnnuaireReport | None:
    """The daily import, from MSSANTE_ANNUAIRE_URL (a URL or a local path)."""
    location = settings.MSSANTE_ANNUAIRE_URL
    if not location:
        return None
    if location.startswith(("https://", "http://")):
        target = Path(tempfile.mkdtemp()) / "extraction"
        with source_open(location=location, timeout=300) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out)
        try:
            return annuaire_import(path=target, source=location)
        finally:
            shutil.rmtree(target.parent, ignore_errors=True)
    return annuaire_import(path=Path(location))
