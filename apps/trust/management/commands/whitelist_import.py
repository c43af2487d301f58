from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.trust.services import whitelist_import, whitelist_refresh
from apps.trust.whitelist import WhitelistError


class Command(BaseCommand):
    help = "Import the MSSanté domain whitelist from a file, or from the configured URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="a local copy of listeblanchemssante.xml")
        parser.add_argument("--sha256", help="expected SHA-256 of the file")

    def handle(self, *args: Any, file: str | None, sha256: str | None, **options: Any) -> None:
        try:
            if file:
                result = whitelist_import(data=Path(file).read_bytes(), source=file,
                                          expected_sha256=sha256)
            else:
                maybe = whitelist_refresh()
                if maybe is None:
                    raise CommandError("no --file and MSSANTE_WHITELIST_URL is not set")
                result = maybe
        except WhitelistError as exc:
            raise CommandError(f"whitelist refused, previous list kept: {exc}") from exc
        self.stdout.write(f"{len(result.domains)} entries, {len(result.names)} domains")
