"""The compose page, its draft autosave and the outbox, as use cases. A page hands over
how to read its posted form (``submitted``: given the mailboxes the user may write from,
the typed ``ComposeForm``), so that the parsing stays the page's and the choice of
mailboxes the flow's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, MessageGone, NoMailbox, NotFound
from apps.documents.types import document_types
from apps.mail.models import Mailbox, OutboxMessage
from apps.mail.selectors import mailbox_list_for_user
from apps.mail.services import outbox_retry
from apps.trust.selectors import recipients_check
from mailproto.mime.replies import with_signature

from .actor import Actor, actor_access_for, actor_audit
from .business_api import software_link_resolve
from .compose import ComposeOutcome, compose_prefill, compose_submit, draft_autosave, forwarded_get
from .inputs import RECIPIENT_FIELDS, ComposeForm, Uploads
from .selectors import compose_mailboxes, outbox_list, recipient_names, signatures_for_user
from .sending import AttachmentsTooLarge

logger = logging.getLogger(__name__)
Submitted = Callable[[list[Mailbox]], ComposeForm]


@dataclass(frozen=True)
class ComposeStart:
    """How a new message starts: recipients ("?a="), or from a message ("?origine=", with
    "?mode=": reply, all, forward, attached, draft)."""

    to: list[str] = field(default_factory=list)
    origin: str = ""
    mode: str = ""
    # From the business software ("?ins=…&document=…", issue 29): the patient of the user's
    # list, and a document the structure's software was handed, forwarded with its package.
    ins: str = ""
    document: str = ""


@dataclass
class ComposePage:
    mailboxes: list[Mailbox]
    form: ComposeForm
    signatures: dict[int, str]
    error: str | None = None
    notice: str = ""
    status: int = 200
    sent: bool = False
    resumed: bool = False  # a draft was opened: this session may replace or remove it
    forwarded: list[Any] = field(default_factory=list)  # the original's attachments a forward carries
    recipient_fields: list[dict[str, object]] = field(default_factory=list)
    document_types: list[Any] = field(default_factory=list)  # "Joindre un document de santé": its types


def _mailboxes(actor: Actor) -> list[Mailbox]:
    mailboxes = compose_mailboxes(user=actor.user)
    if not mailboxes:
        raise NoMailbox(f"user {actor.user.pk} may write from no mailbox")
    return mailboxes


def _start(
    actor: Actor, start: ComposeStart, mailboxes: list[Mailbox], signatures: dict[int, str]
) -> ComposeOutcome:
    link = software_link_resolve(user=actor.user, ins=start.ins, document=start.document) \
        if start.ins or start.document else None
    if link is not None:
        start = ComposeStart(to=[*start.to, *link.to], origin=link.origin or start.origin,
                             mode="forward" if link.origin else start.mode)
    form = ComposeForm(to=start.to[:50], mailbox=mailboxes[0].pk)
    outcome = ComposeOutcome(form=form, notice=(link.error or "") if link else "")
    if start.origin:
        try:
            outcome.form = compose_prefill(
                access_for=actor_access_for(actor),
                form=form,
                mailboxes=mailboxes,
                mode=start.mode,
                origin=start.origin,
                readable=list(mailbox_list_for_user(user=actor.user)) if link is not None else (),
            )
        except MessageGone:
            raise NotFound("original message") from None
        except ApplicationError as exc:
            outcome.error = exc.user_message
    if link is not None and link.to:  # the patient the software named, whatever the forward wrote
        outcome.form.to = list(dict.fromkeys([*outcome.form.to, *link.to]))
    if start.mode != "draft":
        outcome.form.body = with_signature(outcome.form.body, signatures.get(outcome.form.mailbox, ""))
    return outcome


def _recipient_fields(form: ComposeForm, actor: Actor) -> list[dict[str, object]]:
    """À, Cc and Cci, each with its chips checked against the trust space and named (a
    patient of the user's list, a professional of the directory). Cc and Cci start folded
    away (the page's script) unless they hold someone."""
    labels = {
        "to": (_("To"), _("Recipients")),
        "cc": (_("Cc"), _("Copies")),
        "bcc": (_("Bcc"), _("Blind copies")),
    }
    fields = {name: form.recipients(name) for name in RECIPIENT_FIELDS}
    names = recipient_names(user=actor.user, addresses=[a for chips in fields.values() for a in chips])
    return [
        {
            "name": name,
            "label": labels[name][0],
            "chips_label": labels[name][1],
            "chips": [
                (verdict, names.get(verdict.address.lower(), ""))
                for verdict in (recipients_check(addresses=chips) if chips else [])
            ],
            "optional": name != "to",
            "empty": not chips,
        }
        for name, chips in fields.items()
    ]


def compose_page_run(
    *,
    actor: Actor,
    start: ComposeStart | None = None,
    submitted: Submitted | None = None,
    uploads: Uploads | None = None,
) -> ComposePage:
    """The compose page as it starts (``start``), or the form that came back (``submitted``,
    with its ``uploads``): queued (``sent``), or shown again with what to fix."""
    mailboxes = _mailboxes(actor)
    signatures = signatures_for_user(user=actor.user, mailboxes=mailboxes)
    if submitted is None:
        outcome = _start(actor, start or ComposeStart(), mailboxes, signatures)
    else:
        outcome = compose_submit(
            access_for=actor_access_for(actor),
            user=actor.user,
            form=submitted(mailboxes),
            mailboxes=mailboxes,
            uploads=uploads or Uploads(declared=0, read=list),
            session_key=actor.session_key,
        )
    page = ComposePage(
        mailboxes=mailboxes,
        form=outcome.form,
        signatures=signatures,
        error=outcome.error,
        notice=outcome.notice,
        status=outcome.status,
        sent=outcome.sent,
        resumed=submitted is None and outcome.form.draft_uid is not None,
    )
    if page.sent:
        return page
    try:
        page.forwarded = forwarded_get(
            access_for=actor_access_for(actor), form=page.form, mailboxes=mailboxes, user=actor.user
        )[1]
    except ApplicationError as exc:
        page.error = page.error or exc.user_message
    page.recipient_fields = _recipient_fields(page.form, actor)
    page.document_types = list(document_types())
    return page


@dataclass(frozen=True)
class DraftSaved:
    form: ComposeForm | None
    answer: dict[str, object]  # for the page's script: the draft's uid and time, or the error
    status: int = 200


def draft_autosave_run(*, actor: Actor, submitted: Submitted, uploads: Uploads) -> DraftSaved:
    """Called every few seconds while writing, and when leaving the page: what is typed is
    never lost; a failure is said, and the next save tries again."""
    try:
        mailboxes = _mailboxes(actor)
    except NoMailbox as exc:
        return DraftSaved(form=None, answer={"error": exc.user_message}, status=400)
    form = submitted(mailboxes)
    try:
        answer = draft_autosave(
            access_for=actor_access_for(actor),
            user=actor.user,
            form=form,
            mailboxes=mailboxes,
            uploads=uploads,
        )
    except AttachmentsTooLarge as exc:  # the text is saved without them at the next save
        return DraftSaved(form=form, answer={"error": exc.user_message}, status=413)
    except ApplicationError as exc:
        logger.warning("draft not saved for mailbox %s: %s", form.mailbox, exc.detail)
        return DraftSaved(form=form, answer={"error": exc.user_message}, status=503)
    mailbox = next((m for m in mailboxes if m.pk == form.mailbox), mailboxes[0])
    actor_audit(actor, event="draft_saved", mailbox=mailbox, target=f"uid:{answer.get('draft_uid')}",
                replaces=form.draft_uid or "")
    return DraftSaved(form=form, answer=answer)


@dataclass(frozen=True)
class OutboxPage:
    outgoing: list[OutboxMessage]

    @property
    def waiting(self) -> bool:
        """Something is still on its way (the page then refreshes itself)."""
        return any(
            o.status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING) for o in self.outgoing
        )


def outbox_page_get(*, actor: Actor) -> OutboxPage:
    return OutboxPage(outgoing=outbox_list(user=actor.user))


def outbox_retry_run(*, actor: Actor, pk: int) -> None:
    """The user's "Réessayer" on one of their outgoing messages."""
    outgoing = OutboxMessage.objects.filter(user=actor.user.pk, pk=pk).first()
    if outgoing is None:
        raise NotFound(f"outbox {pk}")
    outbox_retry(outgoing=outgoing, session_key=actor.session_key)
