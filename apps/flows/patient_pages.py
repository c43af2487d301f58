"""The professional's patients as use cases (issue 14): the list, searched as one types,
with a CSV import reported line by line; one patient's page (their Mon espace santé
address from the INS, whether they may write, every message exchanged); a patient's
buttons; and the decision on a message waiting in "Patients – à valider"."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from apps.core.errors import NotFound
from apps.mail.models import MessageSummary
from apps.mail.selectors import message_from_patient_get, messages_exchanged_with
from apps.patients.inbox_rule import patient_message_decide
from apps.patients.models import Patient
from apps.patients.selectors import patient_get, patient_list_view, patients_allowed
from apps.patients.services import ImportReport, patient_import_csv, patient_list_change

from .actor import Actor, actor_access, actor_folder, actor_mailboxes

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
class PatientPage:
    patient: Patient
    address: str  # their Mon espace santé address
    exchanges: list[MessageSummary]
    several_mailboxes: bool


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
