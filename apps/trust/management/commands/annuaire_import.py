from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.trust.annuaire import AnnuaireError
from apps.trust.services import annuaire_import, annuaire_refresh, directory_first_import_enqueue


class Command(BaseCommand):
    help = "Import the Annuaire Santé Extraction_Correspondance_MSSante file (zip or txt)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="a local copy (zip or txt); default: MSSANTE_ANNUAIRE_URL")
        parser.add_argument("--if-empty-in-background", action="store_true",
                            help="a first start: when the directory is empty and MSSANTE_ANNUAIRE_URL is "
                                 "set, ask a worker for the import and return at once")

    def handle(self, *args: Any, file: str | None, **options: Any) -> None:
        if options["if_empty_in_background"]:
            self.stdout.write(directory_first_import_enqueue())
            return
        try:
            report = annuaire_import(path=Path(file)) if file else annuaire_refresh()
        except (AnnuaireError, OSError) as exc:
            raise CommandError(f"directory import failed, directory left unchanged: {exc}") from exc
        if report is None:
            raise CommandError("no --file and MSSANTE_ANNUAIRE_URL is not set")
        self.stdout.write(f"{report.rows} rows ({report.skipped} skipped): {report.added} added, "
                          f"{report.changed} changed, {report.removed} removed in {report.seconds} s")
