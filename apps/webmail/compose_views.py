"""Writing a message. A first version: plain text, trust-space checked recipients,
sent at once (the outbox with retries comes with the webmail issue)."""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, NoMailbox
from apps.mail.mime.compose_html import compose_html_clean, html_to_text
from apps.mail.mime.message import Attachment, parse_message, part_payload, safe_filename
from apps.mail.models import Folder, Mailbox, OutboxMessage
from apps.mail.selectors import mailbox_list_for_user
from apps.mail.services import OutgoingFile, draft_discard, draft_save, message_build, outbox_retry
from apps.trust.selectors import recipients_check

from .reader_views import _raw
from .selectors import signatures_for_user
from .services import AttachmentsTooLarge, RecipientsRefused, attachments_size_check, message_compose_send
from .views import _token_provider

logger = logging.getLogger(__name__)


@dataclass
class ComposeForm:
    to: list[str]
    mailbox: int
    subject: str = ""
    body: str = ""
    in_reply_to: str = ""
    references: str = ""
    draft_uid: int | None = None
    origin: str = ""  # "mailbox:folder:uid" of the message forwarded
    forward: str = ""  # "inline" (its attachments kept) or "attached" (the whole .eml)
    keep: list[str] = field(default_factory=list)  # part ids of the attachments kept
    read_receipt: bool = False
    dsn: bool = False
    html: str = ""  # from the rich-text editor, cleaned; ``body`` is then its text version
    typed: list[str] = field(default_factory=list)  # addresses left in the "To" text field
    drop: str = ""  # a chip's "×" pressed without JavaScript: that recipient goes


def typed_addresses(text: str) -> list[str]:
    """The addresses in what was typed in the "To" field itself rather than added as chips:
    what compose.js turns into chips, when it has not run (not loaded yet, or no
    JavaScript) and the form went to the server. Separated by commas, semicolons or
    spaces, with or without a display name; words without "@" are a directory search, not
    an address."""
    if "<" in text:  # display names: "Julien PETIT <julien@…>, Léa <lea@…>"
        words = [address for _, address in email.utils.getaddresses([text.replace(";", ",")])]
    else:  # getaddresses reads "a@x b@y" as one odd address
        words = text.replace(";", " ").replace(",", " ").split()
    return [word for word in words if "@" in word][:100]


def _form_from_post(request: HttpRequest, mailboxes: list[Mailbox]) -> ComposeForm:
    try:
        chosen = int(request.POST.get("mailbox") or mailboxes[0].pk)
    except ValueError:
        chosen = mailboxes[0].pk
    draft = request.POST.get("draft_uid", "")
    html = compose_html_clean(request.POST.get("html", "")) if request.POST.get("html") else ""
    return ComposeForm(to=[a.strip() for a in request.POST.getlist("to") if a.strip()][:100],
                       subject=request.POST.get("subject", "")[:500],
                       body=html_to_text(html) if html else request.POST.get("body", "")[:200_000],
                       html=html, mailbox=chosen,
                       in_reply_to=request.POST.get("in_reply_to", "")[:998],
                       references=request.POST.get("references", "")[:4000],
                       draft_uid=int(draft) if draft.isdigit() else None,
                       origin=request.POST.get("origin", "")[:60],
                       forward=request.POST.get("forward", "") if request.POST.get("forward") in
                       ("inline", "attached", "draft") else "",
                       keep=[p for p in request.POST.getlist("keep") if p.isdigit()][:50],
                       read_receipt=request.POST.get("read_receipt") == "1",
                       dsn=request.POST.get("dsn") == "1",
                       typed=typed_addresses(request.POST.get("to_typed", "")[:10_000]),
                       drop=request.POST.get("drop", "")[:320])


SIGNATURE_DELIMITER = "-- \n"  # RFC 3676 §4.3: mail clients recognise and trim it


def with_signature(body: str, signature: str) -> str:
    """The signature under a new message, or above the quoted text of a reply or forward."""
    if not signature.strip():
        return body
    return "\n\n" + SIGNATURE_DELIMITER + signature.strip("\n") + "\n" + body


def _origin(value: str, mailboxes: list[Mailbox]) -> tuple[Mailbox, Folder, int] | None:
    """The message a reply or forward starts from, if it is in one of the user's mailboxes."""
    try:
        mailbox_id, folder_id, uid = (int(x) for x in value.split(":"))
    except ValueError:
        return None
    mailbox = next((m for m in mailboxes if m.pk == mailbox_id), None)
    folder = Folder.objects.filter(mailbox=mailbox, pk=folder_id).first() if mailbox else None
    return (mailbox, folder, uid) if mailbox and folder else None


class OriginGone(ApplicationError):
    """The message whose attachments a forward or a draft carries is no longer there."""


def _forwarded(request: HttpRequest, form: ComposeForm, mailboxes: list[Mailbox],
               sending: bool = False) -> tuple[list[OutgoingFile], list[Attachment]]:
    """What a forward (or a resumed draft) carries from the original: the whole message as
    an attachment, or the attachments the user kept. Returns the files and, for the page,
    what they are. ``sending``: only the files matter (nothing kept, nothing fetched)."""
    origin = _origin(form.origin, mailboxes) if form.forward else None
    if origin is None or (sending and form.forward != "attached" and not form.keep):
        return [], []
    try:
        raw = _raw(request, *origin)
    except Http404:
        raise OriginGone(f"origin {form.origin} gone", user_message=_(
            "The original message is no longer in your mailbox: its attachments cannot be "
            "sent. Untick them, or attach the files again.")) from None
    original = parse_message(raw)
    if form.forward == "attached":
        name = safe_filename(f"{original.subject or _('message')}.eml")
        return ([OutgoingFile(filename=name, content_type="message/rfc822", data=raw)],
                [Attachment(part_id="", filename=name, content_type="message/rfc822",
                            size=len(raw), content_id="", inline=False)])
    files, shown = [], []
    for attachment in original.attachments:
        if attachment.inline and attachment.content_id:
            continue
        shown.append(attachment)
        found = part_payload(raw, attachment.part_id) if attachment.part_id in form.keep else None
        if found is not None:
            files.append(OutgoingFile(filename=found[2] or attachment.filename,
                                      content_type=found[1], data=found[0]))
    return files, shown


def _prefill(request: HttpRequest, form: ComposeForm, mailboxes: list[Mailbox]) -> ComposeForm:
    """Reply, reply to all or forward: recipients, subject, quoted text, thread headers."""
    mode = request.GET.get("mode", "")
    origin = _origin(request.GET.get("origine", ""), mailboxes)
    if origin is None or mode not in ("reply", "all", "forward", "attached", "draft"):
        return form
    mailbox, folder, uid = origin
    original = parse_message(_raw(request, mailbox, folder, uid))
    if mode == "draft":  # resume a draft where it was left
        html = compose_html_clean(original.html) if original.html else ""
        chain = original.references.split()
        return ComposeForm(to=[email.utils.parseaddr(a)[1] for a in original.to if a],
                           mailbox=mailbox.pk, subject=original.subject, html=html,
                           body=html_to_text(html) if html else original.text or "",
                           draft_uid=uid if folder.role == Folder.Role.DRAFTS else None,
                           in_reply_to=chain[-1] if chain else "", references=original.references,
                           origin=f"{mailbox.pk}:{folder.pk}:{uid}", forward="draft",
                           keep=[a.part_id for a in original.attachments
                                 if not (a.inline and a.content_id)])
    subject = original.subject
    if mode == "attached":
        return ComposeForm(to=[], mailbox=mailbox.pk, origin=f"{mailbox.pk}:{folder.pk}:{uid}",
                           subject=subject if subject.lower().startswith(("fwd:", "tr:"))
                           else f"Tr: {subject}", forward="attached")
    if mode == "forward":
        subject = subject if subject.lower().startswith(("fwd:", "tr:")) else f"Tr: {subject}"
        to: list[str] = []
        intro = _("-------- Forwarded message --------\nFrom: %(sender)s\nDate: %(date)s\n"
                  "Subject: %(subject)s") % {"sender": original.sender_address,
                                             "date": original.date or "", "subject": original.subject}
        body = f"\n\n{intro}\n\n{original.text or ''}"
    else:
        subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        to = [original.sender_address]
        if mode == "all":
            mine = {m.address for m in mailboxes}
            others = [email.utils.parseaddr(a)[1].lower() for a in (*original.to, *original.cc)]
            to += [a for a in others if a and a not in mine and a not in to]
        quoted = "\n".join("> " + line for line in (original.text or "").splitlines())
        body = "\n\n" + _("On %(date)s, %(sender)s wrote:") % {
            "date": original.date.strftime("%d/%m/%Y %H:%M") if original.date else "",
            "sender": original.sender_name or original.sender_address} + "\n" + quoted
    references = " ".join(x for x in (original.references, original.message_id) if x).strip()
    if mode == "forward":
        return ComposeForm(to=to, mailbox=mailbox.pk, subject=subject, body=body,
                           origin=f"{mailbox.pk}:{folder.pk}:{uid}", forward="inline",
                           keep=[a.part_id for a in original.attachments
                                 if not (a.inline and a.content_id)])
    return ComposeForm(to=to, mailbox=mailbox.pk, subject=subject, body=body,
                       in_reply_to=original.message_id, references=references)


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    error = None
    mailboxes = list(mailbox_list_for_user(user=request.user).exclude(  # type: ignore[arg-type]
        kind=Mailbox.Kind.APPLICATION))
    if not mailboxes:
        return render(request, "webmail/error.html", {"error": NoMailbox().user_message})
    form = ComposeForm(to=[a for a in request.GET.getlist("a") if a][:50], mailbox=mailboxes[0].pk)
    signatures = signatures_for_user(user=request.user, mailboxes=mailboxes)  # type: ignore[arg-type]
    if request.method == "GET" and request.GET.get("origine"):
        try:
            form = _prefill(request, form, mailboxes)
        except ApplicationError as exc:
            error = exc.user_message
    if request.method == "GET" and request.GET.get("mode") != "draft":
        form.body = with_signature(form.body, signatures.get(form.mailbox, ""))
    status = 200
    notice = ""
    if request.method == "POST":
        form = _form_from_post(request, mailboxes)
        mailbox = next((m for m in mailboxes if m.pk == form.mailbox), mailboxes[0])
    if request.method == "POST" and (form.typed or form.drop):
        # Enter pressed in the "To" field before compose.js ran, or no JavaScript: as with
        # the script, the addresses become recipients to check (or a chip's "×" removes
        # one), and nothing is sent yet (a forward sent with a half-written note cannot be
        # taken back).
        form.to = [a for a in form.to if a.lower() != form.drop.lower()]
        known = {a.lower() for a in form.to}
        form.to += [a for a in dict.fromkeys(form.typed) if a.lower() not in known]
        notice = _("Recipients added: check them, then click Send.") if form.typed else ""
        if request.FILES.getlist("attachments"):
            notice += " " + _("Choose your attachments again: they were not kept.")
    elif request.method == "POST":
        try:
            request.session.save()  # the worker reads the PSC tokens from the stored session
            files = [OutgoingFile(filename=safe_filename(f.name or ""), data=f.read(),
                                  content_type=f.content_type or "application/octet-stream")
                     for f in request.FILES.getlist("attachments")[:50]]
            files += _forwarded(request, form, mailboxes, sending=True)[0]
            message_compose_send(user=request.user, mailbox=mailbox, to=form.to,  # type: ignore[arg-type]
                                 subject=form.subject, body=form.body,
                                 session_key=request.session.session_key,
                                 in_reply_to=form.in_reply_to, references=form.references,
                                 files=files, read_receipt=form.read_receipt, dsn=form.dsn,
                                 html=form.html)
        except RecipientsRefused as exc:
            error, status = exc.user_message, 400
        except AttachmentsTooLarge as exc:
            error, status = exc.user_message, 413
        except ApplicationError as exc:  # the operator down, the original gone: nothing lost
            logger.info("message from %s not queued: %s", mailbox.address, exc.detail)
            error, status = exc.user_message, 409
        else:
            if form.draft_uid:
                try:
                    draft_discard(mailbox=mailbox, uid=form.draft_uid,
                                  token_provider=_token_provider(request),
                                  pool_key=f"user:{request.user.pk}")
                except ApplicationError as exc:
                    logger.warning("draft %s not removed after sending: %s", form.draft_uid, exc.detail)
            messages.success(request, _("Message queued for sending."))
            return redirect("webmail:outbox")
    chips = recipients_check(addresses=form.to) if form.to else []
    try:
        forwarded = _forwarded(request, form, mailboxes)[1]
    except ApplicationError as exc:
        forwarded, error = [], error or exc.user_message
    return render(request, "webmail/compose.html", {
        "mailboxes": mailboxes, "form": form, "chips": chips, "error": error, "notice": notice,
        "signatures": signatures,
        "forwarded": forwarded,
        "max_size": settings.MSSANTE_MAX_MESSAGE_SIZE}, status=status)


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    outgoing = OutboxMessage.objects.filter(user=request.user.pk).select_related("mailbox")[:100]
    waiting = any(o.status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING)
                  for o in outgoing)
    return render(request, "webmail/outbox.html", {"outgoing": outgoing, "waiting": waiting})


@login_required
@require_POST
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    outgoing = OutboxMessage.objects.filter(user=request.user.pk, pk=pk).first()
    if outgoing is None:
        raise Http404("outbox")
    request.session.save()
    OutboxMessage.objects.filter(pk=outgoing.pk).update(session_key=request.session.session_key or "")
    outbox_retry(outgoing=outgoing)
    messages.info(request, _("Sending again."))
    return redirect("webmail:outbox")


@login_required
@require_POST
def draft_autosave(request: HttpRequest) -> JsonResponse:
    """Called every few seconds while writing, and when leaving the page: what is typed is
    never lost. Attachments chosen since the last save are uploaded with it and then live in
    the draft: the answer lists them (with their part ids in the new draft) so the page
    keeps them from there instead of uploading them again."""
    mailboxes = list(mailbox_list_for_user(user=request.user).exclude(  # type: ignore[arg-type]
        kind=Mailbox.Kind.APPLICATION))
    if not mailboxes:
        return JsonResponse({"error": NoMailbox().user_message}, status=400)
    form = _form_from_post(request, mailboxes)
    mailbox = next((m for m in mailboxes if m.pk == form.mailbox), mailboxes[0])
    try:
        files = [OutgoingFile(filename=safe_filename(f.name or ""), data=f.read(),
                              content_type=f.content_type or "application/octet-stream")
                 for f in request.FILES.getlist("attachments")[:50]]
        files += _forwarded(request, form, mailboxes, sending=True)[0]
        attachments_size_check(files=files, mailbox=mailbox)
        message = message_build(mailbox=mailbox, sender_name=request.user.display_name,  # type: ignore[union-attr]
                                to=form.to, subject=form.subject, body=form.body, html=form.html,
                                in_reply_to=form.in_reply_to, references=form.references, files=files)
        uid = draft_save(mailbox=mailbox, message=message, replaces=form.draft_uid,
                         token_provider=_token_provider(request), pool_key=f"user:{request.user.pk}")
    except AttachmentsTooLarge as exc:  # the text is saved without them at the next save
        return JsonResponse({"error": exc.user_message}, status=413)
    except ApplicationError as exc:
        logger.warning("draft not saved for %s: %s", mailbox.address, exc.detail)
        return JsonResponse({"error": exc.user_message}, status=503)
    answer: dict[str, object] = {"draft_uid": uid, "saved_at": timezone.localtime().strftime("%H:%M:%S")}
    drafts = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.DRAFTS).first()
    if files and uid and drafts:
        answer["origin"] = f"{mailbox.pk}:{drafts.pk}:{uid}"
        answer["attachments"] = [
            {"part_id": a.part_id, "filename": a.filename, "size": a.size, "content_type": a.content_type}
            for a in parse_message(message.as_bytes()).attachments if not (a.inline and a.content_id)]
    return JsonResponse(answer)
