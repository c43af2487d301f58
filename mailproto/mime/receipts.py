"""Read receipts (MDN, RFC 8098) and delivery reports (DSN, RFC 3464), both ways (pure Python).

Reading: a multipart/report tells which message it is about (Original-Message-ID, or the
Message-ID in the returned headers, or the envelope id we set to the Message-ID) and what
happened (displayed, deleted; delivered, failed, delayed) for whom. Writing: the MDN a
professional chooses to send for a message that asked for one; never sent silently.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
from dataclasses import dataclass
from email.message import EmailMessage, Message

from mailproto.identifiers import ascii_digits

from .headers import ascii_field, one_line

# Whether a BODYSTRUCTURE (lower-cased) is a report: the sync flags those rows.
REPORT_MARKERS = (b'"disposition-notification"', b'"delivery-status"')


@dataclass(frozen=True)
class Report:
    kind: str  # "mdn" or "dsn"
    original_message_id: str
    recipient: str
    outcome: str  # mdn: displayed / deleted / processed...; dsn: delivered / failed / delayed / ...
    date: dt.datetime | None
    # An MSSanté integration answer: the code (900-906) and the receiving software's own
    # words, from "processed/Error: 902^Patient inconnu" (before v1.1.3 of the ANS guide) or
    # "processed/error" with a separate "Error: 902^Patient inconnu" field (v1.1.3 on).
    error_code: str = ""
    error_label: str = ""
    failed: bool = False  # an integration error, even one that names no code nor words
    # A delivery report's enhanced status code (RFC 3463, "5.1.1") and the server's words
    # (Diagnostic-Code), from which ``mss.bounces`` tells why it failed.
    status: str = ""
    diagnostic: str = ""


def is_report_structure(bodystructure_lower: bytes) -> bool:
    return b'"report"' in bodystructure_lower and any(m in bodystructure_lower for m in REPORT_MARKERS)


def _fields(block: str) -> dict[str, str]:
    """"Name: value" lines (per-message and per-recipient groups merged, first wins)."""
    fields: dict[str, str] = {}
    for line in block.replace("\r\n", "\n").replace("\n ", " ").split("\n"):
        name, colon, value = line.partition(":")
        if colon and name.strip():
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _address(value: str) -> str:
    """ "rfc822; someone@x" → someone@x """
    return value.partition(";")[2].strip().lower() if ";" in value else value.strip().lower()


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    inner = part.get_payload()
    if isinstance(inner, list):  # the parser may read message/* bodies as header blocks
        return "\n\n".join(item.as_string() if isinstance(item, Message) else str(item) for item in inner)
    return str(inner or "")


def _integration_error(modifier: str) -> tuple[str, str]:
    """("902", "Patient inconnu") from "Error: 902^Patient inconnu" (the disposition
    modifier of an MSSanté integration answer); ("", "") for anything else."""
    name, colon, value = modifier.partition(":")
    if not colon or name.strip().lower() != "error":
        return "", ""
    code, _, label = value.strip().partition("^")
    code = code.strip()
    if ascii_digits(code) and len(code) <= 4:
        return code, one_line(label)[:200]
    return "", one_line(value)[:200]


def parse_report(raw: bytes) -> Report | None:
    """The report a message carries, or None when it is not one (or unreadable)."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # noqa: BLE001 - a broken report is simply not shown as one
        return None
    if message.get_content_type() != "multipart/report":
        return None
    report_type = (message.get_param("report-type") or "").lower()  # type: ignore[union-attr]
    status: dict[str, str] = {}
    returned_id = ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/disposition-notification", "message/delivery-status"):
            status = _fields(_part_text(part))
        elif content_type in ("text/rfc822-headers", "message/rfc822") and not returned_id:
            returned_id = _fields(_part_text(part)).get("message-id", "")
    if not status:
        return None
    try:
        date = email.utils.parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        date = None
    if report_type == "disposition-notification" or "disposition" in status:
        disposition = status.get("disposition", "").rpartition(";")[2].strip()
        kind, _, modifier = disposition.partition("/")
        v113 = modifier.strip().lower() == "error"  # the code in its own "Error:" field
        code, label = _integration_error(f"Error: {status.get('error', '')}" if v113 else modifier)
        return Report("mdn", status.get("original-message-id", "") or returned_id,
                      _address(status.get("final-recipient", "")), kind.strip().lower() or "displayed", date,
                      error_code=code, error_label=label, failed=v113 or bool(code or label))
    action = status.get("action", "").lower() or "unknown"
    envelope = status.get("original-envelope-id", "")
    original = returned_id or (envelope if envelope.startswith("<") else "")
    diagnostic = status.get("diagnostic-code", "")
    return Report("dsn", original, _address(status.get("final-recipient", "")
                                            or status.get("original-recipient", "")), action, date,
                  status=one_line(status.get("status", ""))[:16],
                  diagnostic=one_line(diagnostic.partition(";")[2] or diagnostic)[:300])


def mdn_build(*, reporter: str, reporter_name: str, to: str, original_message_id: str,
              subject: str, explanation: str, message_id: str,
              user_agent: str = "mssante-web", disposition: str = "displayed",
              error: str = "") -> EmailMessage:
    """The MDN for a message displayed to ``reporter`` (RFC 8098 §3), sent because the user
    chose to ("manual-action/MDN-sent-manually"). ``subject`` and ``explanation`` (the part
    a person reads) come translated from the caller. For a health document, the answer of
    its integration (ANS IG v1.1.3): ``disposition`` "processed", or "processed/error" with
    ``error`` as "<code>^<label>" in its own "Error:" field."""
    reporter_name, subject, original_message_id = (
        one_line(reporter_name), one_line(subject), one_line(original_message_id).strip())
    mdn = EmailMessage()
    mdn["From"] = email.utils.formataddr((reporter_name, reporter)) if reporter_name else reporter
    mdn["To"] = one_line(to)
    mdn["Subject"] = subject
    mdn["Date"] = email.utils.formatdate(localtime=True)
    mdn["Message-ID"] = message_id
    if original_message_id:
        mdn["In-Reply-To"] = original_message_id
        mdn["References"] = original_message_id
    human = EmailMessage()
    human.set_content(explanation)
    notification = EmailMessage()
    lines = [f"Reporting-UA: {user_agent}", f"Final-Recipient: rfc822;{reporter}"]
    if original_message_id:
        lines.append(f"Original-Message-ID: {original_message_id}")
    lines.append(f"Disposition: manual-action/MDN-sent-manually; {one_line(disposition)}")
    if error:
        lines.append(f"Error: {ascii_field(error)[:200]}")  # the part is 7bit: "é" would not go
    notification.set_content("\r\n".join(lines) + "\r\n", subtype="plain", cte="7bit")
    notification.replace_header("Content-Type", "message/disposition-notification")
    del notification["MIME-Version"]
    del human["MIME-Version"]
    mdn.make_mixed()
    mdn.attach(human)
    mdn.attach(notification)
    mdn.replace_header("Content-Type", mdn["Content-Type"].replace("multipart/mixed", "multipart/report"))
    mdn.set_param("report-type", "disposition-notification")
    mdn["MIME-Version"] = "1.0"
    return mdn
