"""``manage.py cda_validate FILE…``: the agency's checks (CDA_extended.xsd, structuration
minimale, IHE, CI-SIS, ANS, terminologies, the volet's own) on each CDA or IHE_XDM.zip given;
every failed assertion printed; exit status 1 when any file has one (issue 23)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.documents.errors import DocumentUnreadable
from apps.documents.validation import MaterialMissing, ValidationReport
from apps.documents.xdm import xdm_read
from apps.flows.given_documents import document_validator


class Command(BaseCommand):
    help = "Validates CDA documents (or the CDA inside IHE_XDM.zip packages) with the agency's rules."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+")
        parser.add_argument(
            "--schematron",
            action="append",
            default=[],
            help="another schematron, relative to the material's root",
        )
        parser.add_argument("--warnings", action="store_true", help="print the warnings too")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            validator = document_validator()
        except MaterialMissing as exc:
            raise CommandError(str(exc)) from exc
        failed = 0
        for name in options["files"]:
            data = Path(name).read_bytes()
            for label, cda in _documents(name, data):
                try:
                    report = validator.validate(cda, extra=options["schematron"])
                except DocumentUnreadable as exc:  # a PDF given by mistake, a broken file
                    failed += 1
                    self.stdout.write(f"{label}: not a CDA document ({exc})")
                    continue
                failed += bool(report.errors)
                self._print(label, report, warnings=options["warnings"])
        if failed:
            raise CommandError(f"{failed} document(s) with failed assertions or unreadable")

    def _print(self, label: str, report: ValidationReport, *, warnings: bool) -> None:
        verdict = "OK" if report.valid else f"{len(report.errors)} failed assertion(s)"
        self.stdout.write(
            f"{label}: {verdict} ({', '.join(report.checks)}; {len(report.warnings)} warning(s))"
        )
        for finding in report.errors:
            self.stdout.write(f"  ERROR {finding}")
        for finding in report.warnings if warnings else ():
            self.stdout.write(f"  warning {finding}")


def _documents(name: str, data: bytes) -> list[tuple[str, bytes]]:
    if data[:2] != b"PK":
        return [(name, data)]
    try:
        return [
            (f"{name}!{doc.path}", doc.data)
            for doc in xdm_read(data).documents
            if doc.data.lstrip()[:1] == b"<"
        ]
    except DocumentUnreadable as exc:
        raise CommandError(f"{name}: not a readable IHE_XDM.zip ({exc})") from exc
