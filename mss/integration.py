"""The integration answers of a platform that hands received documents to the business
software (ANS IG "Transmission au LPS de documents CDA provenant d'un courriel MSSanté",
error-codes.md, v1.1.3): the application error codes and what each means. The labels are
English msgids, marked for extraction and translated where they are shown."""

from __future__ import annotations


def gettext_noop(text: str) -> str:
    """Marks a msgid for ``makemessages`` (its keyword); the caller translates."""
    return text


APPLICATION_ERRORS = {
    "900": gettext_noop("wrong version of the message format"),
    "901": gettext_noop("the author is not allowed to send this document"),
    "902": gettext_noop("unknown patient"),
    "903": gettext_noop("the patient's INS is missing"),
    "904": gettext_noop("the patient's INS does not match"),
    "905": gettext_noop("the patient's INS is incomplete"),
    "906": gettext_noop("the document could not be integrated"),  # the IG's "other"
}
OTHER = "906"
