"""Parsing what the pages post: bounded, typed, nothing trusted. Views call these first."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Iterable

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from apps.flows.account_pages import VacationPost
from apps.flows.health_documents import PDF_MAX_BYTES, HealthDocumentFields
from apps.flows.inputs import RECIPIENT_FIELDS, ComposeForm, Uploads
from apps.mail.models import Mailbox
from apps.mail.services import OutgoingFile
from mailproto.identifiers import ascii_digits
from mailproto.mime.compose_html import compose_html_clean, html_to_text
from mailproto.mime.message import safe_filename
from mailproto.sieve import Vacation

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 100
MAX_UPLOADS = 50
MAX_SELECTED = 5000





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
    return [word for word in words if "@" in word][:MAX_RECIPIENTS]


DRAFTS_KEY = "compose_drafts"  # the session's own drafts: {"<mailbox id>": [uids]}
DRAFTS_KEPT = 20


def drafts_owned_add(request: HttpRequest, *, mailbox: int, uid: int | None) -> None:
    """This session saved or resumed draft ``uid`` of ``mailbox``: it may replace or remove it."""
    if not uid:
        return
    owned = dict(request.session.get(DRAFTS_KEY, {}))
    owned[str(mailbox)] = [*[u for u in owned.get(str(mailbox), []) if u != uid], uid][-DRAFTS_KEPT:]
    request.session[DRAFTS_KEY] = owned


def _draft_owned(request: HttpRequest, mailbox: int, draft: str) -> int | None:
    """The posted ``draft_uid`` when this session saved or resumed that draft; otherwise
    nothing (a send-delegate could name any message of a shared Drafts folder, a colleague's
    draft, and have it expunged: issue 27)."""
    if not ascii_digits(draft):
        return None
    if int(draft) in request.session.get(DRAFTS_KEY, {}).get(str(mailbox), []):
        return int(draft)
    logger.warning("compose named draft %s of mailbox %s, which this session did not save or open",
                   draft, mailbox)
    return None


def compose_form_from_post(request: HttpRequest, mailboxes: list[Mailbox]) -> ComposeForm:
    post = request.POST
    try:
        chosen = int(post.get("mailbox") or mailboxes[0].pk)
    except ValueError:
        chosen = mailboxes[0].pk
    draft = post.get("draft_uid", "")
    html = compose_html_clean(post.get("html", "")) if post.get("html") else ""
    chips = {name: [a.strip() for a in post.getlist(name) if a.strip()][:MAX_RECIPIENTS]
             for name in RECIPIENT_FIELDS}
    typed = {name: found for name in RECIPIENT_FIELDS
             if (found := typed_addresses(post.get(f"{name}_typed", "")[:10_000]))}
    return ComposeForm(to=chips["to"], cc=chips["cc"], bcc=chips["bcc"],
                       subject=post.get("subject", "")[:500],
                       body=html_to_text(html) if html else post.get("body", "")[:200_000],
                       html=html, mailbox=chosen,
                       in_reply_to=post.get("in_reply_to", "")[:998],
                       references=post.get("references", "")[:4000],
                       draft_uid=_draft_owned(request, chosen, draft),
                       origin=post.get("origin", "")[:60],
                       forward=post.get("forward", "") if post.get("forward") in
                       ("inline", "attached", "draft") else "",
                       keep=[p for p in post.getlist("keep") if ascii_digits(p)][:50],
                       read_receipt=post.get("read_receipt") == "1",
                       dsn=post.get("dsn") == "1",
                       typed=typed, drop=post.get("drop", "")[:330],
                       document=health_document_from_post(request),
                       no_reply=post.get("no_reply") == "1",
                       patient_informed=post.get("patient_informed") == "1")


def health_document_from_post(request: HttpRequest) -> HealthDocumentFields | None:
    """The health document's fields, when a PDF was given for it."""
    upload = request.FILES.get("doc_pdf")
    if upload is None:
        return None
    post = request.POST
    return HealthDocumentFields(
        pdf=upload.read(PDF_MAX_BYTES + 1), pdf_name=upload.name or "", ins=post.get("doc_ins", "")[:30],
        ins_kind=post.get("doc_ins_kind", "")[:8], birth_name=post.get("doc_birth_name", "")[:100],
        given_names=post.get("doc_given_names", "")[:200], birth_date=post.get("doc_birth_date", "")[:10],
        sex=post.get("doc_sex", "")[:1], type_code=post.get("doc_type", "")[:20],
        title=post.get("doc_title", "")[:200], birth_place=post.get("doc_birth_place", "")[:10],
        act_date=post.get("doc_act_date", "")[:10])


def uploaded_files(request: HttpRequest) -> Uploads:
    uploads = request.FILES.getlist("attachments")[:MAX_UPLOADS]

    def read() -> list[OutgoingFile]:
        return [OutgoingFile(filename=safe_filename(f.name or ""), data=f.read(),
                             content_type=f.content_type or "application/octet-stream") for f in uploads]

    refused = getattr(request, "upload_refused", 0)  # apps.flows.uploads stopped the upload
    return Uploads(declared=refused or sum(f.size or 0 for f in uploads), read=read)


def selected_uids(values: Iterable[str]) -> list[int]:
    """The messages ticked in a list: a conversation row carries all its messages' uids,
    comma-separated. Anything but digits is a forged request (404)."""
    raw = [u for value in values for u in value.split(",")][:MAX_SELECTED]
    if not all(ascii_digits(u) for u in raw):
        raise Http404("uid")
    return sorted({int(u) for u in raw})


def local_url(value: str) -> str:
    """``value`` when it is a path on this site (a safe redirect target), else ""."""
    return value if value.startswith("/") and not value.startswith("//") else ""


def vacation_form_from_post(request: HttpRequest, *, today: dt.date) -> VacationPost:
    """Turned off, or on with: dates (optional, the end not before the start nor in the
    past), subject and text (required, bounded), a reply per sender every 1 to 30 days."""
    post = request.POST
    if post.get("action") != "on":
        return VacationPost(on=False)
    values = {name: post.get(name, "")[:limit] for name, limit in
              (("start", 10), ("end", 10), ("subject", 200), ("text", 4000), ("days", 2))}
    errors: list[str] = []
    dates: dict[str, dt.date | None] = {}
    for name in ("start", "end"):
        try:
            dates[name] = dt.date.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            dates[name] = None
            errors.append(_("This date is not valid: %(value)s.") % {"value": values[name]})
    start, end = dates["start"], dates["end"]
    if start and end and end < start:
        errors.append(_("The last day comes before the first."))
    if end and end < today:
        errors.append(_("The last day has already passed."))
    if not values["subject"].strip():
        errors.append(_("Give the reply a subject."))
    if not values["text"].strip():
        errors.append(_("Write the reply's text."))
    days = int(values["days"]) if ascii_digits(values["days"]) and 1 <= int(values["days"]) <= 30 else 7
    vacation = None if errors else Vacation(subject=values["subject"].strip(), text=values["text"].strip(),
                                            start=start, end=end, days=days)
    return VacationPost(on=True, vacation=vacation, errors=errors, values=values)
