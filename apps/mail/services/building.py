"""New messages as MSSanté wants them: the headers every message carries (X-MSS-NIL...),
threading, a text alternative to HTML, attachments and forwarded messages."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from django.conf import settings

from mailproto.mime.headers import one_line
from mss import headers as mss_headers_names

from ..models import Mailbox


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes


def message_build(*, mailbox: Mailbox, sender_name: str, to: Sequence[str], subject: str,
                  body: str, in_reply_to: str = "", references: str = "",
                  files: Sequence[OutgoingFile] = (), html: str = "",
                  read_receipt: bool = False, cc: Sequence[str] = (),
                  draft_bcc: Sequence[str] = (),
                  mss_headers: Mapping[str, str] | None = None) -> EmailMessage:
    """A message with the MSSanté headers every message carries: plain text, or ``html``
    (already sanitised) with ``body`` as its text alternative; a read receipt asked of the
    recipients' software when ``read_receipt`` (RFC 8098: they may decline).

    Blind copies are never written in a message that is sent (they go in the envelope
    only, RFC 5322 §3.6.3); ``draft_bcc`` is for a draft, which must remember them."""
    # Every value put in a header is one line: a decoded Message-ID or a posted subject may
    # hold CR/LF, which the email package refuses (and which would forge headers).
    sender_name, subject = one_line(sender_name), one_line(subject)
    in_reply_to, references = one_line(in_reply_to).strip(), one_line(references).strip()
    message = EmailMessage()
    message["From"] = formataddr((sender_name, mailbox.address)) if sender_name else mailbox.address
    if to or not cc:  # a message to Cc or Bcc only has no "To" (RFC 5322 §3.6.3)
        message["To"] = ", ".join(one_line(address) for address in to)
    if cc:
        message["Cc"] = ", ".join(one_line(address) for address in cc)
    if draft_bcc:
        message["Bcc"] = ", ".join(one_line(address) for address in draft_bcc)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=mailbox.address.split("@")[1])
    message[mss_headers_names.NIL] = settings.MSSANTE_NIL
    for name, value in (mss_headers or {}).items():  # those of a health document, or to a patient
        if mss_headers_names.is_mss_header(name) and name.upper() != mss_headers_names.NIL.upper():
            message[one_line(name)] = one_line(value)
    if in_reply_to:  # threading (RFC 5322 §3.6.4): the parent, then the whole chain
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    if read_receipt:
        message["Disposition-Notification-To"] = mailbox.address
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for file in files:
        if file.content_type == "message/rfc822":
            # A forwarded message stays a message (RFC 2046: 7bit/8bit, never base64).
            inner = email.message_from_bytes(file.data, policy=email.policy.default)
            message.add_attachment(inner, filename=file.filename)
            continue
        maintype, _, subtype = (file.content_type or "application/octet-stream").partition("/")
        message.add_attachment(file.data, maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=file.filename)
    return message
