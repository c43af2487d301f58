"""The professional's patients as use cases (issue 14): the list, searched as one types,
with a CSV import reported line by line; one patient's page (their Mon espace santé
address from the INS, whether they may write, every message exchanged); a patient's
buttons; and the decision on a message waiting in "Patients – à valider"."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from django.conf import settings

from apps.core.errors import ApplicationError, NotFound
from apps.documents.plot import Point, analyte_svg, number
from apps.documents.results import LabResult, lab_results
from apps.mail.models import MessageSummary
from apps.mail.selectors import message_from_patient_get, messages_exchanged_with, messages_naming_patient
from apps.patients.inbox_rule import patient_message_decide
from apps.patients.models import Patient
from apps.patients.selectors import patient_get, patient_list_view, patients_allowed
from apps.patients.services import ImportReport, patient_import_csv, patient_list_change

from .actor import Actor, actor_access, actor_folder, actor_mailboxes
from .documents import message_documents

logger = logging.getLogger(__name__)
REPORTS_READ = 12  # the latest reports naming the patient, opened for their results

IMPORT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class PatientsPage:
    query: str
    patients: list[Patient]
    report: ImportReport | None


def patients_page_run(*, actor: Actor, query: str, limit: int, csv: bytes | None = None) -> PatientsPage:
    """The user's patients (``limit`` shown), after importing ``csv`` when one was sent
    (bounded to 20 MB; a test INS refused unless the site allows them)."""
    report = None
    if csv is not None:
        report = patient_import_csv(
            text=csv[:IMPORT_MAX_BYTES].decode("utf-8-sig", "replace"),
            owner=actor.user,
            real_only=not settings.MSSANTE_ALLOW_TEST_INS,
        )
    view = patient_list_view(owner=actor.user, query=query, limit=limit)
    return PatientsPage(query=query, patients=view.patients, report=report)


def patient_change(*, actor: Actor, patient_id: str, allowed: str | None, opposed: str | None) -> None:
    """A patient's buttons: allow or stop writing, record or lift an opposition."""
    patient_list_change(
        owner=actor.user, patient_id=patient_id, allowed=allowed, opposed=opposed, client_ip=actor.client_ip
    )


@dataclass(frozen=True)
class AnalyteHistory:
    """One analyte received over time for the patient: the latest result, how many, and
    the plot of those that are numbers against the reference range (issue 26)."""

    code: str
    label: str
    latest: LabResult
    count: int
    svg: str


@dataclass(frozen=True)
class PatientPage:
    patient: Patient
    address: str  # their Mon espace santé address
    exchanges: list[MessageSummary]
    several_mailboxes: bool
    analytes: list[AnalyteHistory] = field(default_factory=list)


def _analytes(actor: Actor, patient: Patient) -> list[AnalyteHistory]:
    """The biology results of the latest reports naming the patient (the subject
    convention finds them, the INS in each document confirms them), grouped by analyte."""
    born = patient.birth_date.strftime("%d/%m/%Y")
    first = (patient.given_names.split() or [""])[0]
    candidates = messages_naming_patient(mailboxes=actor_mailboxes(actor), limit=REPORTS_READ,
                                         subject_part=f"{patient.birth_name} {first} {born}")
    series: dict[str, list[LabResult]] = {}
    for summary in candidates:
        try:
            cards = message_documents(access=actor_access(actor, summary.folder.mailbox),
                                      folder=summary.folder, uid=summary.uid)
        except ApplicationError as exc:
            logger.info("results of %s uid %s not read for the patient page: %s", summary.folder, summary.uid,
                        exc.detail)
            continue
        for card in cards:
            document = card.document
            if document is None or document.patient.ins != patient.matricule:
                continue
            for result in lab_results(document.root):
                when = result.when or document.effective
                series.setdefault(result.code or result.label, []).append(replace(result, when=when))
    found = []
    for code, results in series.items():
        dated = sorted((r for r in results if r.when is not None), key=lambda r: r.when)  # type: ignore[arg-type, return-value]
        if not dated:
            continue
        latest = dated[-1]
        points = [Point(r.when, value, r.abnormal) for r in dated  # type: ignore[arg-type]
                  if (value := number(r.value)) is not None]
        svg = analyte_svg(label=latest.label or code, unit=latest.unit, points=points,
                          low=number(latest.low), high=number(latest.high)) if points else ""
        found.append(AnalyteHistory(code=code, label=latest.label or code, latest=latest, count=len(dated),
                                    svg=svg))
    return sorted(found, key=lambda a: a.label.lower())


def patient_page_get(*, actor: Actor, patient_id: int) -> PatientPage:
    patient = patient_get(owner=actor.user, patient_id=patient_id)
    if patient is None:
        raise NotFound(f"patient {patient_id}")
    address = f"{patient.matricule}@{settings.MSSANTE_PATIENT_DOMAIN}".lower()
    mailboxes = actor_mailboxes(actor)
    # The patient's buttons read it from the patient, as on the list (``patient_list_view``).
    patient.may_write = patient.matricule in patients_allowed(owner=actor.user, patients=[patient])  # type: ignore[attr-defined]
    return PatientPage(
        patient=patient,
        address=address,
        exchanges=messages_exchanged_with(mailboxes=mailboxes, address=address),
        several_mailboxes=len(mailboxes) > 1,
        analytes=_analytes(actor, patient),
    )


def patient_message_decision(*, actor: Actor, mailbox_id: int, folder_id: int, uid: int, allow: bool) -> None:
    """ "Autoriser ce patient" or "Refuser", on a message waiting in "Patients – à valider"."""
    mailbox, folder = actor_folder(actor, mailbox_id, folder_id, write=True)
    summary = message_from_patient_get(folder=folder, uid=uid)
    if summary is None:
        raise NotFound(f"message {uid} from a patient")
    patient_message_decide(
        access=actor_access(actor, mailbox),
        user=actor.user,
        folder=folder,
        summary=summary,
        allow=allow,
        client_ip=actor.client_ip,
    )
