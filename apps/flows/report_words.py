"""What a read receipt or a delivery report about a sent message says, in French words: for
the reader's page (through its template filters) and for the business tool's API, which
gives the same words to the software's user."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as _noop

from mailproto.mime.receipts import Report
from mss import bounces, integration


def integration_reason(report: object) -> str:
    """Why the recipient's software could not integrate the document, in French: the known
    codes' own sentence, else the words it sent."""
    known = integration.error_msgid(getattr(report, "error_code", ""))
    if known:
        return _(known)
    return getattr(report, "error_label", "") or _(integration.APPLICATION_ERRORS[integration.OTHER])


_BOUNCES = {
    bounces.CLOSED: (_noop("the recipient's mailbox is closed"),
                     _noop("the patient's Mon espace santé mailbox is closed")),
    bounces.UNKNOWN: (_noop("unknown recipient"), _noop("this patient is not known to Mon espace santé")),
    bounces.INVALID: (_noop("the address is not valid"), _noop("this patient address is not valid")),
    bounces.TOO_LARGE: (_noop("the message is too large for the recipient's server"),
                        _noop("the message is over Mon espace santé's limit of 25 MB")),
}


def bounce_reason(report: object) -> str:
    """Why a delivery report says the message did not arrive, in French ("" when it does
    not say): worded for a patient when the recipient is a Mon espace santé address."""
    kind = bounces.bounce_kind(status=getattr(report, "status", ""),
                               diagnostic=getattr(report, "diagnostic", ""))
    if not kind:
        return ""
    recipient = str(getattr(report, "recipient", ""))
    domain = settings.MSSANTE_PATIENT_DOMAIN
    patient = bool(domain) and recipient.endswith("@" + domain)
    return _(_BOUNCES[kind][1 if patient else 0])


def report_state(report: Report) -> tuple[str, str]:
    """(a stable state for software — delivered, delayed, failed, read, integrated,
    integration_error, receipt —, the same in French words for a person)."""
    who = report.recipient
    if report.kind == "dsn":
        if report.outcome in ("delivered", "relayed", "expanded"):  # LMTP delivery says "relayed"
            return "delivered", _("Delivered to %(who)s") % {"who": who}
        if report.outcome == "delayed":
            return "delayed", _("Delivery to %(who)s delayed") % {"who": who}
        if report.outcome == "failed":
            reason = bounce_reason(report)
            if reason:
                return "failed", _("Not delivered to %(who)s: %(reason)s") % {"who": who, "reason": reason}
            return "failed", _("Not delivered to %(who)s") % {"who": who}
        return "receipt", _("Report from %(who)s: %(outcome)s") % {"who": who, "outcome": report.outcome}
    if report.error_code or report.failed:
        words = _("%(who)s could not integrate the document: %(reason)s") % {
            "who": who, "reason": integration_reason(report)}
        return "integration_error", f"{words} ({report.error_code})" if report.error_code else words
    if report.outcome == "processed":
        return "integrated", _("Document integrated by %(who)s") % {"who": who}
    if report.outcome == "displayed":
        return "read", _("Read by %(who)s") % {"who": who}
    return "receipt", _("Receipt from %(who)s: %(outcome)s") % {"who": who, "outcome": report.outcome}
