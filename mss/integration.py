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

# The HL7 v2.5 message errors a business software may give in its ACK instead (table 0357,
# which the IG lists beside its own codes): the message itself, not the patient, was wrong.
HL7_ERRORS = {
    "0": gettext_noop("message accepted"),
    "100": gettext_noop("segment sequence error in the HL7 message"),
    "101": gettext_noop("a required field is missing from the HL7 message"),
    "102": gettext_noop("data type error in the HL7 message"),
    "103": gettext_noop("a coded value of the HL7 message is not in its table"),
    "200": gettext_noop("the software does not support this message type"),
    "201": gettext_noop("the software does not support this event"),
    "202": gettext_noop("the software does not support this processing id"),
    "203": gettext_noop("the software does not support this HL7 version"),
    "204": gettext_noop("unknown key identifier"),
    "205": gettext_noop("duplicate key identifier"),
    "206": gettext_noop("the record is locked in the software"),
    "207": gettext_noop("internal error of the receiving software"),
}
UNREADABLE_PACKAGE = gettext_noop("the IHE_XDM package could not be read")


def error_msgid(code: str) -> str | None:
    """The words (a msgid, for the caller to translate) for an integration error code: the
    IG's own 900–906, else HL7's; None for a code neither knows (the software's words are
    then all there is)."""
    return APPLICATION_ERRORS.get(code) or HL7_ERRORS.get(code)
