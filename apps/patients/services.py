"""Writes of the patient registry."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .models import Patient
from .registry_csv import PatientRow, RefusedLine, registry_rows

logger = logging.getLogger(__name__)
BATCH = 2000


@dataclass
class ImportReport:
    added: int = 0
    refused: list[RefusedLine] = field(default_factory=list)
    seconds: float = 0.0


def patient_import_csv(*, text: str, owner: Any = None, structure: Any = None,
                       real_only: bool = False) -> ImportReport:
    """Add the file's patients to a professional's list (``owner``) or a structure's; a
    patient already in the list is refused as a duplicate, like a bad line, and nothing
    already there changes."""
    started = time.monotonic()
    scope = {"owner": owner} if owner is not None else {"structure": structure}
    known = set(Patient.objects.filter(**scope).values_list("matricule", flat=True))
    report = ImportReport()
    batch: list[Patient] = []
    with transaction.atomic():
        for row in registry_rows(text, real_only=real_only):
            if isinstance(row, RefusedLine):
                report.refused.append(row)
                continue
            if row.matricule in known:
                report.refused.append(RefusedLine(row.line, "duplicate"))
                continue
            batch.append(_patient(row, scope))
            if len(batch) >= BATCH:
                Patient.objects.bulk_create(batch)
                report.added += len(batch)
                batch = []
        Patient.objects.bulk_create(batch)
        report.added += len(batch)
    report.seconds = round(time.monotonic() - started, 2)
    logger.info("patients imported for %s: %s added, %s lines refused in %s s", scope, report.added,
                len(report.refused), report.seconds)
    return report


def _patient(row: PatientRow, scope: dict[str, Any]) -> Patient:
    return Patient(matricule=row.matricule, oid=row.oid, qualified=row.qualified, birth_name=row.birth_name,
                   given_names=row.given_names, birth_date=row.birth_date, sex=row.sex,
                   birthplace=row.birthplace, used_name=row.used_name, name_key=row.name_key, **scope)
