from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.trust.models import WhitelistDomain
from apps.trust.services import whitelist_bootstrap, whitelist_import, whitelist_refresh
from apps.trust.whitelist import WhitelistError


class Command(BaseCommand):
    help = "Import the MSSanté domain whitelist from a file, or from the configured URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="a local copy of listeblanchemssante.xml")
        parser.add_argument("--sha256", help="expected SHA-256 of the file")
        parser.add_argument("--if-empty", action="store_true",
                            help="only when no whitelist is loaded yet (first start); never fails")

    def handle(self, *args: Any, file: str | None, sha256: str | None, if_empty: bool = False,
               **options: Any) -> None:
        if if_empty:
            if WhitelistDomain.objects.exists():
                self.stdout.write("whitelist already loaded: nothing to do")
                return
            if not file:
                found = whitelist_bootstrap()
                self.stdout.write(f"{len(found.domains)} entries, {len(found.names)} domains" if found
                                  else "whitelist not loaded (see the log); the site starts without it")
                return
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
