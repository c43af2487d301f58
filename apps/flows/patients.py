"""Writing to patients (issue 14): a patient opposed to MSSanté exchanges is refused with the
reason; before the first message to a patient the professional confirms the patient was
informed (CSP art. R1110-4), which is recorded; "le patient ne peut pas répondre" sets
``X-MSS-MES: FIN``."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.patients.services import patient_informed_record, patient_recipients
from mss import headers

from .inputs import ComposeForm


class PatientRefused(ApplicationError):
    pass


def patients_check(*, user: User, form: ComposeForm) -> dict[str, str]:
    """The headers a message to patients carries; ``PatientRefused`` (nothing sent) for an
    opposed patient or an unconfirmed first message. Records the confirmation."""
    found = patient_recipients(owner=user, addresses=[*form.to, *form.cc, *form.bcc],
                               domain=settings.MSSANTE_PATIENT_DOMAIN)
    if not found.matricules:
        return {}
    if found.opposed:
        message = _("Patient %(ins)s has refused exchanges by MSSanté: write to them another way.") % {
            "ins": ", ".join(found.opposed)}
        raise PatientRefused(message, user_message=message)
    if found.unqualified and not form.in_reply_to:
        # ECO.2.2.6: an address made from an INS only when that INS was qualified (INSi);
        # answering a patient's own message uses the address their message came from.
        message = _("The INS of patient %(ins)s is not qualified in your patient list: write to a "
                    "patient only once their identity is qualified (INSi teleservice).") % {
            "ins": ", ".join(found.unqualified)}
        raise PatientRefused(message, user_message=message)
    if found.uninformed and not form.patient_informed:
        message = _("This is your first message to this patient: confirm that they were informed of "
                    "exchanges by secure messaging.")
        raise PatientRefused(message, user_message=message)
    if found.uninformed:
        patient_informed_record(owner=user, matricules=found.uninformed)
    return headers.end_of_exchange_headers() if form.no_reply else {}
