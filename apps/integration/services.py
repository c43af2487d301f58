"""Handing received documents to the business software (ANS IG "Transmission au LPS de
documents CDA provenant d'un courriel MSSanté"), and answering their sender.

After each sync, the INBOX rule notes the new messages carrying an IHE_XDM package
(``HandedMessage``, once each) and asks a worker. The worker opens each message, keeps one
``DocumentDelivery`` per CDA (the types the link wants), sends each as an MDM^T02 over MLLP
and records the ACK: accepted, or refused with the software's code (900–906 or HL7's). A
software down or silent leaves the document pending, tried again with backoff by beat under
the same control id (the software tells a retry from a new document by it). When every
document of a message has its answer, the sender is answered once: the read receipt it asked
("processed", or "processed/error" with the code, ANS v1.1.3), else, on a refusal, the plain
"[KO Intégration système !][code]" message.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.backoff import backoff_seconds
from apps.core.errors import ApplicationError
from apps.core.locks import Lease, shared_lease
from apps.core.queue import task_enqueue
from apps.documents.cda import cda_read
from apps.documents.errors import DocumentUnreadable
from apps.documents.mdm import AckUnreadable, Party, ack_read, mdm_build
from apps.documents.xdm import looks_like_xdm, xdm_read
from apps.mail.engine.access import mail_access_for_certificate
from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.services import MailAccess, outbox_enqueue
from apps.mail.services.messages import message_cached_get
from mailproto.mime.receipts import mdn_build
from mss import headers, integration, subjects

from .mllp import MllpUnavailable, mllp_exchange
from .models import DocumentDelivery, HandedMessage, IntegrationEndpoint, _control_id

logger = logging.getLogger(__name__)
MAX_BACKOFF = 15 * 60


def integration_inbox_rule(access: MailAccess) -> None:
    """Note the INBOX's new messages with a package, for the mailbox's business software.
    Runs after every sync of every mailbox: a personal (PSC) mailbox, which a link never
    serves (the model refuses it), costs no query."""
    if access.mailbox.auth_mode == Mailbox.AuthMode.PSC_XOAUTH2:
        return
    endpoint = IntegrationEndpoint.objects.filter(mailbox=access.mailbox, enabled=True).first()
    if endpoint is None:
        return
    inbox = Folder.objects.filter(mailbox=access.mailbox, role=Folder.Role.INBOX).first()
    if inbox is None or inbox.uidvalidity is None:
        return
    newest = MessageSummary.objects.filter(folder=inbox).aggregate(top=Max("uid"))["top"] or 0
    since = endpoint.checked_uid if endpoint.checked_uidvalidity == inbox.uidvalidity else None
    if since is None:
        # A new link (or the INBOX's UIDs renumbered): what is there already was dealt with
        # by hand; what arrives from now on is handed over.
        IntegrationEndpoint.objects.filter(pk=endpoint.pk).update(checked_uid=newest,
                                                                 checked_uidvalidity=inbox.uidvalidity)
        return
    arrived = list(MessageSummary.objects.filter(folder=inbox, uid__gt=since, att_xdm=True)
                   .values_list("uid", "message_id", "sender_address", "subject"))
    with transaction.atomic():
        for uid, message_id, sender, subject in arrived:
            HandedMessage.objects.get_or_create(
                endpoint=endpoint, message_id=message_id or f"uid:{inbox.uidvalidity}:{uid}",
                defaults={"folder": inbox, "uid": uid, "sender": sender, "subject": subject[:500]})
        IntegrationEndpoint.objects.filter(pk=endpoint.pk).update(checked_uid=newest,
                                                                 checked_uidvalidity=inbox.uidvalidity)
    if arrived:
        transaction.on_commit(lambda: task_enqueue(name="integration.integration_run_task",
                                                   args=[endpoint.pk]))


def _open(endpoint: IntegrationEndpoint, handed: HandedMessage) -> None:
    """The message's CDAs, one delivery each (the types the link wants)."""
    loaded = message_cached_get(access=_access(endpoint), folder=handed.folder,  # type: ignore[arg-type]
                                uid=handed.uid)
    handed.receipt_to = loaded.parsed.read_receipt_to[:254]
    found = 0
    for attachment in loaded.parsed.attachments:
        part = loaded.part(attachment.part_id)
        if part is None or not looks_like_xdm(part[0]):
            continue
        try:
            package = xdm_read(part[0])
        except DocumentUnreadable as exc:
            logger.warning("package %s of %s unreadable: %s", attachment.filename, handed.message_id, exc)
            continue
        for item in package.documents:
            if not item.path.lower().endswith(".xml"):
                continue  # the PDF/A beside the CDA
            try:
                document = cda_read(item.data)
            except DocumentUnreadable:
                continue
            found += 1
            if endpoint.wants(document.type.code):
                patient = document.patient
                DocumentDelivery.objects.get_or_create(
                    message=handed, key=f"{attachment.part_id}/{item.path}"[:255],
                    defaults={"type_code": document.type.code[:20], "title": document.title[:300],
                              "patient_ins": patient.ins[:15], "effective": document.effective,
                              "patient_name": " ".join((patient.birth_name, *patient.given_names[:1]))[:200]})
    handed.state = HandedMessage.State.OPENED if found else HandedMessage.State.UNREADABLE
    handed.save(update_fields=["receipt_to", "state"])


def _access(endpoint: IntegrationEndpoint) -> MailAccess:
    """A link reads its mailbox without anyone signed in: a certificate (application)
    mailbox, as the business-software mailboxes of MSSanté are."""
    return mail_access_for_certificate(mailbox=endpoint.mailbox)


def _context(endpoint: IntegrationEndpoint) -> ssl.SSLContext | None:
    if not endpoint.tls:
        return None
    context = ssl.create_default_context(cafile=settings.MSSANTE_TLS_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def delivery_cda(*, delivery: DocumentDelivery) -> bytes:
    """The CDA's bytes, from the message in the linked mailbox (fetched once, then cached);
    ``LookupError`` when the message or the document is no longer there."""
    handed = delivery.message
    if handed.folder is None:
        raise LookupError(f"{delivery.key}: the message's folder is gone")
    loaded = message_cached_get(access=_access(handed.endpoint), folder=handed.folder, uid=handed.uid)
    part_id, _sep, path = delivery.key.partition("/")
    part = loaded.part(part_id)
    item = next((d for d in xdm_read(part[0]).documents if d.path == path), None) if part else None
    if item is None:
        raise LookupError(f"{delivery.key} no longer in the message")
    return item.data


def _send(endpoint: IntegrationEndpoint, delivery: DocumentDelivery) -> None:
    """One MDM^T02 and its ACK, recorded; a failure leaves it pending with backoff. The
    attempt is recorded before the exchange: a worker killed while waiting for the ACK
    leaves the document pending, due again after its backoff, sent again under the same
    control id (which the software acknowledges without storing it twice)."""
    handed = delivery.message
    delivery.attempts += 1
    wait = backoff_seconds(failures=delivery.attempts, cap=MAX_BACKOFF)
    delivery.next_try_at = timezone.now() + dt.timedelta(seconds=wait)
    delivery.save(update_fields=["attempts", "next_try_at"])
    try:
        cda = delivery_cda(delivery=delivery)
        message = mdm_build(document=cda_read(cda), cda=cda, control_id=delivery.control_id,
                            now=timezone.now(), sender=Party("MSSANTE-WEB", endpoint.mailbox.address),
                            receiver=Party(endpoint.receiving_application, endpoint.receiving_facility))
        ack = ack_read(mllp_exchange(host=endpoint.host, port=endpoint.port, message=message,
                                     timeout=settings.MSSANTE_INTEGRATION_MLLP_TIMEOUT,
                                     context=_context(endpoint)))
    except (MllpUnavailable, AckUnreadable, ApplicationError, LookupError, DocumentUnreadable) as exc:
        delivery.last_error = str(exc)[:300]
        delivery.save(update_fields=["last_error"])
        logger.warning("document %s of %s not handed to %s (attempt %d, again in %.0f s): %s", delivery.key,
                       handed.message_id, endpoint.software, delivery.attempts, wait, exc)
        return
    delivery.state = DocumentDelivery.State.ACCEPTED if ack.accepted else DocumentDelivery.State.REFUSED
    delivery.error_code, delivery.error_label = ack.error_code, ack.error_label
    if not ack.accepted and not delivery.error_code:
        delivery.error_code = integration.OTHER
    delivery.answered_at, delivery.last_error = timezone.now(), ""
    delivery.save(update_fields=["state", "error_code", "error_label", "answered_at", "last_error"])
    logger.info("document %s of %s handed to %s: %s %s", delivery.key, handed.message_id, endpoint.software,
                ack.code, ack.error_code)


def _reason(delivery: DocumentDelivery) -> str:
    known = integration.error_msgid(delivery.error_code)
    if known:
        return _(known)
    return delivery.error_label or _(integration.APPLICATION_ERRORS[integration.OTHER])


def _answer(endpoint: IntegrationEndpoint, handed: HandedMessage) -> None:
    """The sender told once, when every document has the software's answer; a package
    nothing could be read from is answered at once with 906 (the IG's "other": nothing was
    handed to the software, and the sender must not wait for it)."""
    documents = list(handed.documents.all())
    refusal: tuple[str, str] | None = None
    if handed.state == HandedMessage.State.UNREADABLE:
        refusal = (integration.OTHER, _(integration.UNREADABLE_PACKAGE))
    elif not documents:  # none of the types the link wants: not the software's to answer
        HandedMessage.objects.filter(pk=handed.pk).update(state=HandedMessage.State.ANSWERED)
        return
    elif any(d.state == DocumentDelivery.State.PENDING for d in documents):
        return
    else:
        refused = next((d for d in documents if d.state == DocumentDelivery.State.REFUSED), None)
        refusal = (refused.error_code, _reason(refused)) if refused is not None else None
    _tell_sender(endpoint, handed, refusal)


def _tell_sender(endpoint: IntegrationEndpoint, handed: HandedMessage,
                 refusal: tuple[str, str] | None) -> None:
    """The read receipt asked ("processed", or "processed/error" with ``refusal``'s code
    and words), else on a refusal the plain "[KO Intégration système !]" message."""
    mailbox = endpoint.mailbox
    domain = mailbox.address.split("@")[1]
    words = {"software": endpoint.software}
    if refusal is not None:
        words |= {"code": refusal[0], "reason": refusal[1]}
    said = (_("The document could not be integrated in %(software)s: %(reason)s (%(code)s).") % words
            if refusal else _("The document was integrated in %(software)s.") % words)
    message: EmailMessage | None = None
    if handed.receipt_to:  # the read receipt it asked, with the integration's answer (v1.1.3)
        message = mdn_build(reporter=mailbox.address, reporter_name=endpoint.software, to=handed.receipt_to,
                            original_message_id=handed.message_id,
                            subject=_("Read receipt: %(subject)s") % {"subject": handed.subject},
                            explanation=said, message_id=make_msgid(domain=domain),
                            disposition="processed/error" if refusal else "processed",
                            error=f"{refusal[0]}^{refusal[1]}" if refusal else "")
    elif refusal is not None:  # no receipt asked: the plain "[KO Intégration système !]" message
        message = EmailMessage()
        message["From"], message["To"] = mailbox.address, handed.sender
        message["Subject"] = f"{subjects.INTEGRATION_KO_PREFIX}[{refusal[0]}] {handed.subject}"
        message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain=domain)
        message["In-Reply-To"] = message["References"] = handed.message_id
        message.set_content(said)
    if message is not None:
        message[headers.NIL] = settings.MSSANTE_NIL
        outbox_enqueue(mailbox=mailbox, user=None, message=message,
                       recipients=[handed.receipt_to or handed.sender], session_key=None)
    handed.state = HandedMessage.State.ANSWERED
    handed.save(update_fields=["state"])


def integration_run(*, endpoint_id: int) -> int:
    """Open what is new, send what is due, answer what is complete; returns documents
    answered by the software. One run per link at a time (a second one finds it held and
    leaves: the first sends everything due), under a lease renewed before each document."""
    lease_ttl = settings.MSSANTE_INTEGRATION_LEASE
    with shared_lease(name=f"mssweb:integration:{endpoint_id}", ttl=lease_ttl) as lease:
        if lease is None:
            return 0
        endpoint = IntegrationEndpoint.objects.select_related("mailbox").filter(pk=endpoint_id,
                                                                                enabled=True).first()
        return _run(endpoint, lease) if endpoint is not None else 0


def _run(endpoint: IntegrationEndpoint, lease: Lease) -> int:
    for handed in HandedMessage.objects.filter(endpoint=endpoint, state=HandedMessage.State.NEW):
        lease.renew()
        try:
            _open(endpoint, handed)
        except ApplicationError as exc:
            logger.warning("message %s not opened for %s (next run retries): %s", handed.message_id,
                           endpoint.software, exc.detail)
    now = timezone.now()
    due = (DocumentDelivery.objects.filter(message__endpoint=endpoint, state=DocumentDelivery.State.PENDING)
           .select_related("message").order_by("pk"))
    sent = 0
    for delivery in due:
        if delivery.next_try_at is None or delivery.next_try_at <= now:
            lease.renew()
            _send(endpoint, delivery)
            sent += delivery.state != DocumentDelivery.State.PENDING
    for handed in HandedMessage.objects.filter(endpoint=endpoint, state__in=[HandedMessage.State.OPENED,
                                                                             HandedMessage.State.UNREADABLE]):
        _answer(endpoint, handed)
    return sent


def integration_retry() -> int:
    """Beat, every minute: a worker for each link with something to open or due."""
    now = timezone.now()
    endpoints = set(HandedMessage.objects.filter(state=HandedMessage.State.NEW, endpoint__enabled=True)
                    .values_list("endpoint_id", flat=True))
    endpoints |= set(DocumentDelivery.objects.filter(state=DocumentDelivery.State.PENDING,
                                                     message__endpoint__enabled=True)
                     .exclude(next_try_at__gt=now).values_list("message__endpoint_id", flat=True))
    for endpoint_id in sorted(endpoints):
        task_enqueue(name="integration.integration_run_task", args=[endpoint_id])
    return len(endpoints)


def hand_over_again(*, mailbox: Mailbox, message_id: str) -> int:
    """"Renvoyer au logiciel": the documents of this message the software refused (or that
    wait) are sent again now, under new control ids (the software refused the earlier ones,
    it must not take these for retries). The sender, already answered, is not written to again."""
    documents = DocumentDelivery.objects.filter(
        message__endpoint__mailbox=mailbox, message__message_id=message_id,
        state__in=[DocumentDelivery.State.REFUSED, DocumentDelivery.State.PENDING])
    endpoint_ids = set(documents.values_list("message__endpoint_id", flat=True))
    count = 0
    for delivery in documents:
        delivery.state, delivery.attempts, delivery.next_try_at = DocumentDelivery.State.PENDING, 0, None
        delivery.error_code = delivery.error_label = delivery.last_error = ""
        if delivery.answered_at is not None:
            delivery.control_id, delivery.answered_at = _control_id(), None
        delivery.save()
        count += 1
    for endpoint_id in endpoint_ids:
        transaction.on_commit(partial(task_enqueue, name="integration.integration_run_task",
                                      args=[endpoint_id]))
    logger.info("%d document(s) of %s handed to the software again, asked by a reader of %s", count,
                message_id, mailbox.address)
    return count
