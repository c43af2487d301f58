"""What the business tool writes through the API (issue 29): a message or a draft, from one
of its structure's mailboxes, with a health document the site builds from what the tool
gives (patient INS and traits, PDF, type) exactly as compose builds it, or with a CDA the
tool built, refused unless the agency's checks pass (``given_documents``); then what became
of it.

Who acts:
- the tool alone (its key): an application mailbox of its structure, which a client
  certificate opens with nobody signed in; a document built here names its author, a
  member of the structure (``author_idnat``);
- the tool for a professional (their PSC access token with the call): any mailbox that
  professional may write, being a member of the tool's structure; they are the author, and
  the worker sends with their token as it does for their pages.
The same checks as compose: trust-space recipients, the operator's size limit, patients'
rules (a patient is written to by a professional, never by a tool alone)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound
from apps.integration.models import ToolMessage
from apps.mail.models import Folder, Mailbox, MessageSummary, OutboxMessage
from apps.mail.selectors import mailboxes_for_user
from apps.mail.selectors.senders import sender_label
from apps.mail.services import (
    MailAccess,
    draft_save,
    mail_access_for_session_key,
    mailbox_sync,
    message_build,
    message_reports,
)
from apps.structures.models import Membership

from .given_documents import given_cda_attach
from .health_documents import HealthDocumentFields, health_document_build
from .inputs import ComposeForm
from .patients import patients_check
from .report_words import report_state
from .sending import attachments_size_check, message_compose_send

logger = logging.getLogger(__name__)


class ToolRefused(ApplicationError):
    pass


def _refuse(words: str) -> ToolRefused:
    return ToolRefused(words, user_message=words)


@dataclass(frozen=True)
class ToolCaller:
    """The API client (its structure, its name for the audit) and, when the call acts for a
    professional, that user and the stored session holding their token."""

    structure_id: int
    client: str
    acting: User | None = None
    session_key: str | None = None


@dataclass(frozen=True)
class ToolMessageRequest:
    mailbox: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    read_receipt: bool = False
    dsn: bool = False  # delivery reports asked of the operator's server
    draft: bool = False
    author_idnat: str = ""
    document: HealthDocumentFields | None = None
    cda: bytes | None = None  # a CDA the tool built, checked then packed
    patient_informed: bool = False


@dataclass(frozen=True)
class ToolMessageReport:
    recipient: str
    state: str  # delivered, delayed, failed, read, integrated, integration_error, receipt
    detail: str  # the same in French words
    code: str = ""
    at: dt.datetime | None = None


@dataclass(frozen=True)
class ToolMessageState:
    id: int
    message_id: str
    mailbox: str
    subject: str
    state: str  # draft, queued, sending, sent, failed
    error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    reports: list[ToolMessageReport] = field(default_factory=list)


def _mailbox(caller: ToolCaller, address: str) -> Mailbox:
    address = address.strip().lower()[:254]
    if caller.acting is not None:
        if not Membership.objects.filter(user=caller.acting, structure_id=caller.structure_id).exists():
            raise _refuse(_("This professional is not a member of your software's structure."))
        found = next((m for m in mailboxes_for_user(user=caller.acting) if m.address == address), None)
        if found is None or found.read_only:
            raise _refuse(_("This professional may not write from %(mailbox)s.") % {"mailbox": address})
        return found
    found = Mailbox.objects.filter(address=address).select_related("structure").first()
    ours = found is not None and found.structure_id == caller.structure_id
    members = found is not None and found.owner_id is not None and Membership.objects.filter(
        user_id=found.owner_id, structure_id=caller.structure_id).exists()
    if found is not None and (ours or members) and found.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2:
        raise _refuse(_("%(mailbox)s is opened with a professional's Pro Santé Connect: send their token "
                        "with the call (X-PSC-Token header).") % {"mailbox": address})
    if found is None or not ours:
        raise _refuse(_("%(mailbox)s is not a mailbox of your software's structure.") % {"mailbox": address})
    return found


def _to_patient(address: str) -> bool:
    domain = settings.MSSANTE_PATIENT_DOMAIN
    return bool(domain) and address.strip().lower().endswith("@" + domain.lower())


def _author(caller: ToolCaller, idnat: str) -> User:
    if caller.acting is not None:
        return caller.acting
    members = User.objects.filter(is_active=True, memberships__structure_id=caller.structure_id)
    found = members.filter(idnat=idnat.strip()[:40]).first() if idnat.strip() else None
    if found is None:
        raise _refuse(_("A health document names its author: give the national id (author_idnat) of a "
                        "professional of your structure, or send their Pro Santé Connect token."))
    return found


def _access(caller: ToolCaller, mailbox: Mailbox) -> MailAccess:
    return mail_access_for_session_key(mailbox=mailbox, session_key=caller.session_key, pooled=False)


def tool_message_send(*, caller: ToolCaller, request: ToolMessageRequest) -> ToolMessageState:
    """Checked as compose checks, then queued (the outbox sends it) or saved as a draft.
    ``ApplicationError`` subclasses carry the French reason; nothing is stored then."""
    mailbox = _mailbox(caller, request.mailbox)
    recipients = [*request.to, *request.cc]
    form = ComposeForm(to=list(request.to), cc=list(request.cc), mailbox=mailbox.pk, subject=request.subject,
                       body=request.body, read_receipt=request.read_receipt, document=request.document,
                       patient_informed=request.patient_informed)
    if caller.acting is None and any(_to_patient(a) for a in recipients):
        raise _refuse(_("A message to a patient is written by a professional: send their Pro Santé Connect "
                        "token with the call."))
    if request.document and request.cda:
        raise _refuse(_("Give either a document for the site to build or a CDA, not both."))
    author = _author(caller, request.author_idnat) if request.document else caller.acting
    document = (health_document_build(user=author, fields=request.document) if request.document and author
                else given_cda_attach(cda=request.cda) if request.cda else None)
    subject = (request.subject or document.subject) if document else request.subject
    files = document.files if document else []
    if request.draft:
        attachments_size_check(files=files, mailbox=mailbox)
        message = message_build(mailbox=mailbox, sender_name=sender_label(user=author, mailbox=mailbox),
                                to=form.to, cc=form.cc, subject=subject, body=form.body, files=files,
                                read_receipt=form.read_receipt,
                                mss_headers=document.headers if document else None)
        uid = draft_save(access=_access(caller, mailbox), message=message, replaces=None)
        row = ToolMessage.objects.create(structure_id=caller.structure_id, client=caller.client,
                                         mailbox=mailbox, message_id=str(message["Message-ID"]),
                                         subject=subject, draft_uid=uid, acting_idnat=_idnat(caller))
        return _state(row, reports=[])
    headers = {**(document.headers if document else {}),
               **(patients_check(user=caller.acting, form=form) if caller.acting else {})}
    outgoing = message_compose_send(user=caller.acting, mailbox=mailbox, to=form.to, cc=form.cc,
                                    subject=subject, body=form.body, session_key=caller.session_key,
                                    files=files, read_receipt=form.read_receipt, dsn=request.dsn,
                                    mss_headers=headers)
    row = ToolMessage.objects.create(structure_id=caller.structure_id, client=caller.client, mailbox=mailbox,
                                     outbox=outgoing, message_id=outgoing.message_id, subject=subject,
                                     acting_idnat=_idnat(caller))
    logger.info("message %s queued from %s for the business tool %s", row.message_id, mailbox.address,
                caller.client)
    return _state(row, reports=[])


def _idnat(caller: ToolCaller) -> str:
    return getattr(caller.acting, "idnat", "") or ""


def _state(row: ToolMessage, *, reports: list[ToolMessageReport]) -> ToolMessageState:
    outgoing = row.outbox
    if row.draft_uid is not None:
        state, error, sent_at = "draft", "", None
    elif outgoing is None:  # the outbox row went: it had been sent
        state, error, sent_at = "sent", "", None
    else:
        state = "queued" if outgoing.status == OutboxMessage.Status.PENDING else str(outgoing.status)
        error = outgoing.last_error if outgoing.status == OutboxMessage.Status.FAILED else ""
        sent_at = outgoing.sent_at
    return ToolMessageState(id=row.pk, message_id=row.message_id, mailbox=row.mailbox.address,
                            subject=row.subject, state=state, error=error, created_at=row.created_at,
                            sent_at=sent_at, reports=reports)


def tool_message_state(*, caller: ToolCaller, message_id: int) -> ToolMessageState:
    """What became of a message the tool sent: its outbox state and, once sent, the
    delivery reports and read receipts received about it (integration answers included,
    90x codes in words). Reading the reports opens the mailbox: a professional's mailbox
    needs their token with the call, else only the outbox state is given."""
    row = (ToolMessage.objects.filter(pk=message_id, structure_id=caller.structure_id)
           .select_related("mailbox", "outbox").first())
    if row is None:
        raise NotFound(f"tool message {message_id} not in structure {caller.structure_id}")
    unsent = row.outbox is not None and row.outbox.status != OutboxMessage.Status.SENT
    if row.draft_uid is not None or unsent:
        return _state(row, reports=[])
    mailbox = row.mailbox
    if mailbox.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2 and caller.session_key is None:
        return _state(row, reports=[])
    access = _access(caller, mailbox)
    # The reports come to the INBOX, the message's copy is in Sent: those two folders synced,
    # not the whole mailbox, at each question the software asks.
    watched = list(Folder.objects.filter(mailbox=mailbox, role__in=[Folder.Role.INBOX, Folder.Role.SENT])
                   .values_list("name", flat=True))
    mailbox_sync(access=access, only=watched or None)
    sent = MessageSummary.objects.filter(folder__mailbox=mailbox, folder__role=Folder.Role.SENT,
                                         message_id=row.message_id).select_related("folder").first()
    if sent is None:
        return _state(row, reports=[])
    found = []
    for report in message_reports(access=access, summary=sent):
        state, words = report_state(report)
        found.append(ToolMessageReport(recipient=report.recipient, state=state, detail=words,
                                       code=report.error_code or report.status, at=report.date))
    return _state(row, reports=found)
