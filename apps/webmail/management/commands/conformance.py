"""``manage.py conformance``: writes ``docs/conformance.md`` (one row per requirement of the
référentiel, its code, its tests and whether they passed in the run recorded under
``--results``) and exits 1 when a mandatory requirement has no passing test (issue 25).
``make conformance`` runs every suite first, recording, then this."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.webmail.conformance import (
    marked_tests_read,
    missing,
    outcomes_read,
    page_render,
    rows_build,
    unknown_ids,
)


class Command(BaseCommand):
    help = "Writes docs/conformance.md from the référentiel and the tests that prove it."

    def add_arguments(self, parser: Any) -> None:
        root = Path(settings.BASE_DIR)
        parser.add_argument("--results", default=str(root / "test-artifacts" / "conformance"),
                            help="folder of the JSON files the test run wrote (MSSANTE_CONFORMANCE_DIR)")
        parser.add_argument("--out", default=str(root / "docs" / "conformance.md"))
        parser.add_argument("--assume-passed", action="store_true",
                            help="no run: every marked test counts as passed (the committed page's form)")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.BASE_DIR)
        marked = marked_tests_read(root)
        if unknown := unknown_ids(marked):
            raise CommandError(f"exigences inconnues du référentiel : {', '.join(unknown)}")
        outcomes = None
        if not options["assume_passed"]:
            folder = Path(options["results"])
            if not folder.is_dir() or not any(folder.glob("*.json")):
                raise CommandError(f"aucun résultat de tests dans {folder} : lancez « make conformance »")
            outcomes = outcomes_read(folder)
        rows = rows_build(marked=marked, outcomes=outcomes)
        Path(options["out"]).write_text(page_render(rows), encoding="utf-8")
        self.stdout.write(f"{options['out']}: {len(rows)} exigences")
        if gaps := missing(rows):
            raise CommandError(f"exigences obligatoires sans test réussi, ou avec un test en échec : "
                               f"{', '.join(gaps)}")
