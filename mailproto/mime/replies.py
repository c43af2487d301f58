"""What "Répondre", "Répondre à tous", "Transférer" and "Reprendre le brouillon" put in a
new message: recipients, subject, quoted text and threading headers (pure Python).

The words around the quote ("Le … a écrit :", "Message transféré") are the caller's, in
the user's language: this module only places them.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field

from .compose_html import compose_html_clean, html_to_text
from .message import ParsedMessage

REPLY_PREFIXES = ("re:",)
FORWARD_PREFIXES = ("fwd:", "tr:")  # "Tr :" is what French clients write


@dataclass(frozen=True)
class QuoteTexts:
    """Translated templates: ``forward_intro`` takes %(sender)s, %(date)s and %(subject)s;
    ``wrote`` takes %(date)s and %(sender)s."""

    forward_intro: str
    wrote: str


@dataclass(frozen=True)
class Prefill:
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    html: str = ""
    in_reply_to: str = ""
    references: str = ""
    forward: str = ""  # "inline", "attached" or "draft": what the original's attachments become
    keep: list[str] = field(default_factory=list)  # part ids of the original's attachments kept


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith(REPLY_PREFIXES) else f"Re: {subject}"


def forward_subject(subject: str) -> str:
    return subject if subject.lower().startswith(FORWARD_PREFIXES) else f"Tr: {subject}"


def thread_references(original: ParsedMessage) -> str:
    """References of an answer (RFC 5322 §3.6.4): the original's chain, then the original."""
    return " ".join(x for x in (original.references, original.message_id) if x).strip()


def _attachment_ids(original: ParsedMessage) -> list[str]:
    """The original's attachments proper (not the images its HTML shows inline)."""
    return [a.part_id for a in original.attachments if not (a.inline and a.content_id)]


def _bare(addresses: tuple[str, ...] | list[str]) -> list[str]:
    """Lower-case addresses of header values ("Name <a@b>"), without empties or repeats."""
    bare = (email.utils.parseaddr(a)[1].lower() for a in addresses)
    return list(dict.fromkeys(a for a in bare if a))


def reply_recipients(original: ParsedMessage, *, to_all: bool,
                     own_addresses: set[str]) -> tuple[list[str], list[str]]:
    """"À" and "Cc" of an answer. To the sender, or where they asked answers to go
    (Reply-To); answering one's own message (from Sent) goes to its recipients instead.
    ``to_all`` adds the original's "À" to "À" and its "Cc" to "Cc", the user's own
    mailboxes removed (RFC 5322 §3.6.3 leaves Bcc out: it was never shown to anyone)."""
    own = {a.lower() for a in own_addresses}
    sender = original.sender_address.lower()
    if sender in own:
        to = [a for a in _bare(original.to) if a not in own] or [sender]
    else:
        to = _bare(original.reply_to) or ([sender] if sender else [])
    cc: list[str] = []
    if to_all:
        to += [a for a in _bare(original.to) if a not in own and a not in to]
        cc = [a for a in _bare(original.cc) if a not in own and a not in to]
    return to, cc


def reply_prefill(original: ParsedMessage, *, to_all: bool, own_addresses: set[str],
                  texts: QuoteTexts) -> Prefill:
    """An answer (``reply_recipients``), its text quoted line by line."""
    to, cc = reply_recipients(original, to_all=to_all, own_addresses=own_addresses)
    quoted = "\n".join("> " + line for line in (original.text or "").splitlines())
    intro = texts.wrote % {"date": original.date.strftime("%d/%m/%Y %H:%M") if original.date else "",
                           "sender": original.sender_name or original.sender_address}
    return Prefill(to=to, cc=cc, subject=reply_subject(original.subject), body=f"\n\n{intro}\n{quoted}",
                   in_reply_to=original.message_id, references=thread_references(original))


def forward_prefill(original: ParsedMessage, *, texts: QuoteTexts, attached: bool = False) -> Prefill:
    """A forward: the original's text below an intro, its attachments kept (the user unticks
    what not to send), or, ``attached``, the whole message as an attachment."""
    if attached:
        return Prefill(subject=forward_subject(original.subject), forward="attached")
    intro = texts.forward_intro % {"sender": original.sender_address, "date": original.date or "",
                                   "subject": original.subject}
    return Prefill(subject=forward_subject(original.subject),
                   body=f"\n\n{intro}\n\n{original.text or ''}", forward="inline",
                   keep=_attachment_ids(original))


def draft_prefill(draft: ParsedMessage) -> Prefill:
    """A saved draft resumed where it was left: its recipients, text (rich text cleaned
    again), threading headers and attachments."""
    html = compose_html_clean(draft.html) if draft.html else ""
    chain = draft.references.split()
    return Prefill(to=_bare(draft.to), cc=_bare(draft.cc), bcc=_bare(draft.bcc), subject=draft.subject,
                   html=html, body=html_to_text(html) if html else draft.text or "",
                   in_reply_to=chain[-1] if chain else "", references=draft.references,
                   forward="draft", keep=_attachment_ids(draft))


SIGNATURE_DELIMITER = "-- \n"  # RFC 3676 §4.3: mail clients recognise and trim it


def with_signature(body: str, signature: str) -> str:
    """The signature under a new message, or above the quoted text of a reply or forward."""
    if not signature.strip():
        return body
    return "\n\n" + SIGNATURE_DELIMITER + signature.strip("\n") + "\n" + body
