"""Writes of the patient registry."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from apps.core.crypto import patient_reference
from mailproto.identifiers import ascii_digits

from .models import Habilitation, Patient, PatientInformed
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


@dataclass(frozen=True)
class PatientRecipients:
    """What compose must know of the patients a message goes to."""

    matricules: tuple[str, ...]  # every patient recipient's INS
    opposed: tuple[str, ...]  # those the user's list marks as opposed to MSSanté exchanges
    uninformed: tuple[str, ...]  # those the user never confirmed were informed (R1110-4)
    unqualified: tuple[str, ...] = ()  # not in the user's lists with a qualified INS (ECO.2.2.6)


def patient_recipients(*, owner: Any, addresses: list[str], domain: str) -> PatientRecipients:
    """The patients among ``addresses`` (mailboxes of the patients' domain with a valid INS)."""
    from mss.ins import ins_from_address

    found = [ins.matricule for a in addresses if (ins := ins_from_address(a, domain)) is not None]
    matricules = tuple(dict.fromkeys(found))
    if not matricules:
        return PatientRecipients((), (), ())
    opposed = set(Patient.objects.filter(owner=owner, matricule__in=matricules, opposed=True)
                  .values_list("matricule", flat=True))
    informed = set(PatientInformed.objects.filter(owner=owner, matricule__in=matricules)
                   .values_list("matricule", flat=True))
    qualified = set(Patient.objects.filter(Q(owner=owner) | Q(structure__memberships__user=owner),
                                           matricule__in=matricules, qualified=True)
                    .values_list("matricule", flat=True))
    return PatientRecipients(matricules, tuple(m for m in matricules if m in opposed),
                             tuple(m for m in matricules if m not in informed),
                             tuple(m for m in matricules if m not in qualified))


def patient_informed_record(*, owner: Any, matricules: tuple[str, ...]) -> None:
    """The professional confirmed these patients were informed: recorded once each."""
    PatientInformed.objects.bulk_create([PatientInformed(owner=owner, matricule=m) for m in matricules],
                                        ignore_conflicts=True)
    for matricule in matricules:
        logger.info("patient %s informed of secure messaging, confirmed by user %s",
                    patient_reference(matricule), owner.pk)


def patient_opposition_set(*, owner: Any, patient_id: int, opposed: bool) -> None:
    """The patient opposes (or no longer opposes) MSSanté exchanges: compose reads it."""
    changed = Patient.objects.filter(owner=owner, pk=patient_id).update(opposed=opposed)
    if changed:
        logger.info("patient %s of user %s: opposed=%s", patient_id, owner.pk, opposed)


def habilitation_grant(*, matricule: str, by: Any, owner: Any = None, structure: Any = None,
                       mailbox_id: int | None = None, until: Any = None, client_ip: str = "") -> Habilitation:
    """Allow a patient to write to a professional (``owner``) or a structure; recorded in the
    audit trail."""
    from apps.audit.services import audit_log

    habilitation = Habilitation.objects.create(owner=owner, structure=structure, mailbox_id=mailbox_id,
                                               matricule=matricule, until=until, granted_by=by)
    audit_log(event="habilitation_changed", actor=getattr(by, "idnat", "") or getattr(by, "username", ""),
              target=patient_reference(matricule), outcome="granted",
              structure_id=getattr(structure, "pk", None), client_ip=client_ip, until=until,
              mailbox_id=mailbox_id)
    return habilitation


def habilitation_revoke(*, matricule: str, by: Any, owner: Any = None, structure: Any = None,
                        client_ip: str = "") -> int:
    """No more messages from this patient get through, from the next one on."""
    from apps.audit.services import audit_log

    scope = {"owner": owner} if owner is not None else {"structure": structure}
    deleted, _ = Habilitation.objects.filter(matricule=matricule, **scope).delete()
    if deleted:
        audit_log(event="habilitation_changed", actor=getattr(by, "idnat", "") or getattr(by, "username", ""),
                  target=patient_reference(matricule), outcome="revoked",
                  structure_id=getattr(structure, "pk", None), client_ip=client_ip)
    return int(deleted)


def patient_list_change(*, owner: Any, patient_id: str, allowed: str | None, opposed: str | None,
                        client_ip: str = "") -> None:
    """A button of the patients page: allow or stop a patient writing to the professional,
    record or lift an opposition. Only the professional's own patients."""
    chosen = int(patient_id) if ascii_digits(patient_id) else 0
    patient = Patient.objects.filter(owner_id=owner.pk, pk=chosen).first()
    if patient is None:
        return
    if allowed == "1":
        habilitation_grant(matricule=patient.matricule, owner=owner, by=owner, client_ip=client_ip)
    elif allowed == "0":
        habilitation_revoke(matricule=patient.matricule, owner=owner, by=owner, client_ip=client_ip)
    if opposed in ("0", "1"):
        patient_opposition_set(owner=owner, patient_id=patient.pk, opposed=opposed == "1")
