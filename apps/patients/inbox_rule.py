"""The patients' rule on every INBOX (issue 14): a message arriving from the patients' domain
(the sync read the INS from its sender) whose patient may not write to this mailbox is kept,
never dropped, and moved on the server too into "Patients – à valider", where the
professional allows the patient (the message goes back to the INBOX, the next ones come
straight in) or refuses it (to the Trash). Allowed patients' messages stay, tagged Patient
by the list."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.backoff import backoff_seconds
from apps.core.errors import ApplicationError
from apps.mail.models import Folder, MessageSummary
from apps.mail.services import MailAccess, mailbox_session, message_move
from apps.patients.selectors import habilitation_allows
from apps.patients.services import habilitation_grant
from mailproto.imap import ImapCommandError
from mailproto.imap.summaries import SUSPECT_PATIENT

logger = logging.getLogger(__name__)
PENDING = "Patients – à valider"
# TRE_R02 "Pharmacie d'officine": since 2023-05-22 Mon espace santé lets a patient write first
# to a pharmacy's organisational mailbox (the platform checks the patient had a reimbursement
# there within a year): such messages come in without a habilitation.
PHARMACY_SECTOR = "SA33"


def _pharmacy_counter(mailbox: Any) -> bool:
    return (mailbox.kind == mailbox.Kind.ORGANISATIONAL and mailbox.structure_id is not None
            and mailbox.structure.sector == PHARMACY_SECTOR)


class PatientSenderUnreadable(ApplicationError):
    """"Autoriser" on a message whose sender is no valid patient address."""


def pending_folder(*, access: MailAccess) -> Folder:
    """The "à valider" folder, made on the server and in the index when missing (it may be
    on the server already while a sync limited to the INBOX has not listed it)."""
    found = Folder.objects.filter(mailbox=access.mailbox, name=PENDING).first()
    if found is not None:
        return found
    with mailbox_session(access=access) as session:
        try:
            session.create_folder(PENDING)
        except ImapCommandError:
            logger.info("%r already on the server for %s", PENDING, access.mailbox.address)
    folder, _ = Folder.objects.get_or_create(mailbox=access.mailbox, name=PENDING,
                                             defaults={"delimiter": "/", "selectable": True})
    return folder


def patient_inbox_rule(access: MailAccess) -> None:
    """The rule as syncs run it: after a failed move, not before its backoff is over."""
    _patient_rule_apply(access=access, backing_off=True)


def _patient_rule_apply(*, access: MailAccess, backing_off: bool) -> None:
    mailbox = access.mailbox
    if mailbox.owner_id is None and mailbox.structure_id is None:
        return  # nobody to decide for it (a technical mailbox): patients' messages stay
    inbox = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.INBOX).first()
    if inbox is None or inbox.uidvalidity is None:
        return
    if backing_off and inbox.rules_retry_after is not None and inbox.rules_retry_after > timezone.now():
        return  # the last move failed (logged then): what it did not move stays unlisted
    newest = MessageSummary.objects.filter(folder=inbox).aggregate(top=Max("uid"))["top"] or 0
    if inbox.rules_checked_uid is None or inbox.rules_uidvalidity != inbox.uidvalidity:
        # First look at this INBOX (or its UIDs renumbered): what is already there stays
        # where the professional left it; the rule applies to what arrives from now on.
        Folder.objects.filter(pk=inbox.pk).update(rules_checked_uid=newest,
                                                  rules_uidvalidity=inbox.uidvalidity)
        return
    since = inbox.rules_checked_uid
    arrivals = MessageSummary.objects.filter(folder=inbox, uid__gt=since).exclude(patient_ins="")
    pharmacy = _pharmacy_counter(mailbox)
    refused = [uid for uid, ins in arrivals.values_list("uid", "patient_ins")
               if ins == SUSPECT_PATIENT or not (pharmacy or habilitation_allows(
                   owner_id=mailbox.owner_id, structure_id=mailbox.structure_id, mailbox_id=mailbox.pk,
                   matricule=ins))]
    if refused:
        try:
            message_move(access=access, folder=inbox, uids=refused, destination=pending_folder(access=access))
        except ApplicationError as exc:
            failures = inbox.rules_failures + 1
            wait = backoff_seconds(failures=failures, cap=settings.MSSANTE_SYNC_MAX_BACKOFF)
            Folder.objects.filter(pk=inbox.pk).update(
                rules_failures=failures, rules_retry_after=timezone.now() + dt.timedelta(seconds=wait))
            logger.warning("%s: %s message(s) from patients not allowed could not be moved to %r "
                           "(failure %s in a row, retried in %.0f s): %s", mailbox.address, len(refused),
                           PENDING, failures, wait, exc.detail)
            raise
        logger.info("%s: %s message(s) from patients not allowed moved to %r", mailbox.address, len(refused),
                    PENDING)
    Folder.objects.filter(pk=inbox.pk).update(rules_checked_uid=newest, rules_uidvalidity=inbox.uidvalidity,
                                              rules_failures=0, rules_retry_after=None)


def patient_message_decide(*, access: MailAccess, user: Any, folder: Folder, summary: MessageSummary,
                           allow: bool, client_ip: str = "") -> None:
    """"Autoriser ce patient": a habilitation for the mailbox's owner (or its structure, for
    a shared mailbox), and the message back to the INBOX. "Refuser": the message to the
    Trash; the patient stays not allowed."""
    mailbox = access.mailbox
    if allow and summary.patient_ins == SUSPECT_PATIENT:
        raise PatientSenderUnreadable(
            f"no habilitation for the unreadable patient sender {summary.sender_address[:100]!r}",
            user_message=_("This sender's address is not a valid Mon espace santé address: no patient can be "
                           "allowed from it. Move the message yourself if you trust it."))
    if allow:
        holder = {"owner": mailbox.owner} if mailbox.owner_id else {"structure": mailbox.structure}
        habilitation_grant(matricule=summary.patient_ins, by=user, client_ip=client_ip, **holder)
    role = Folder.Role.INBOX if allow else Folder.Role.TRASH
    target = Folder.objects.filter(mailbox=mailbox, role=role).first()
    if target is not None:
        message_move(access=access, folder=folder, uids=[summary.uid], destination=target)
        if allow:
            # Back in the INBOX under a new UID, past the rule's mark: the rule looks at it
            # now (the patient is allowed: it stays, listed) rather than at the next sync.
            _patient_rule_apply(access=access, backing_off=False)
