"""A header whose encoded words decode to CR/LF (or a subject posted with them) never ends
in a 500 or a forged header when a reply, a forward or a read receipt is built from it."""

from __future__ import annotations

import email
import email.policy

from apps.mail.models import Mailbox
from apps.mail.services import message_build
from mailproto.mime.headers import one_line
from mailproto.mime.message import parse_message
from mailproto.mime.receipts import mdn_build
from mailproto.mime.replies import QuoteTexts, forward_prefill, reply_prefill

RAW = (b"From: =?utf-8?q?Dr_X=0D=0ABcc:_evil@x.fr?= <a@x.fr>\r\nTo: b@y.fr\r\n"
       b"Subject: =?utf-8?q?Bonjour=0D=0ABcc:_evil@x.fr?=\r\n"
       b"Message-ID: =?utf-8?q?=3Cid=0D=0A=40x=3E?=\r\nReferences: <r@x>\r\n"
       b"Disposition-Notification-To: =?utf-8?q?a@x.fr=0D=0AX-Forged:_y?=\r\n\r\ntexte")
TEXTS = QuoteTexts(forward_intro="De : %(sender)s %(date)s %(subject)s", wrote="%(date)s %(sender)s :")


def test_one_line() -> None:
    assert one_line("a\r\nb\x00c\x85d\u2028e\tf") == "a  b c d e\tf"


def test_parsed_header_values_are_one_line() -> None:
    parsed = parse_message(RAW)
    # Read whole, not through the fallback that keeps only the text (it used to end there).
    assert parsed.subject == "Bonjour  Bcc: evil@x.fr" and parsed.message_id == "<id  @x>"
    assert parsed.sender_address == "a@x.fr" and parsed.text == "texte"
    for value in (parsed.subject, parsed.message_id, parsed.read_receipt_to, parsed.sender_name, *parsed.to):
        assert "\r" not in value and "\n" not in value


def test_reply_forward_and_receipt_build_without_error_or_forged_header() -> None:
    parsed = parse_message(RAW)
    mailbox = Mailbox(address="julien.petit@hopital.mssante.test")
    for prefill in (reply_prefill(parsed, to_all=True, own_addresses=set(), texts=TEXTS),
                    forward_prefill(parsed, texts=TEXTS)):
        built = message_build(mailbox=mailbox, sender_name="Julien\r\nBcc: x@y", to=prefill.to,
                              subject=prefill.subject, body=prefill.body, in_reply_to=prefill.in_reply_to,
                              references=prefill.references)
        sent = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
        assert sent["Bcc"] is None and sent["X-Forged"] is None
        assert "\n" not in str(sent["Subject"]) and "\n" not in str(sent.get("In-Reply-To", ""))
    mdn = mdn_build(reporter=mailbox.address, reporter_name="Julien", to=parsed.read_receipt_to,
                    original_message_id=parsed.message_id, subject=f"Lu : {parsed.subject}",
                    explanation="affiché", message_id="<m@x>")
    received = email.message_from_bytes(mdn.as_bytes(), policy=email.policy.default)
    assert received["X-Forged"] is None and received["Bcc"] is None


def test_a_subject_posted_with_line_breaks_is_one_line() -> None:
    built = message_build(mailbox=Mailbox(address="a@x.fr"), sender_name="", to=["b@y.fr"],
                          subject="Objet\r\nBcc: espion@ailleurs.fr", body="x", in_reply_to="<a@x>\n",
                          references="<r@x>\r\n<a@x>")
    sent = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    assert sent["Bcc"] is None and str(sent["Subject"]) == "Objet  Bcc: espion@ailleurs.fr"


def test_a_from_the_standard_parser_chokes_on_keeps_the_rest_of_the_message() -> None:
    """ "(" x 2,000 makes email.utils recurse past its limit: the message used to fall back to
    its text alone (no subject, no HTML, no attachments shown)."""
    raw = (b"From: " + b"(" * 2000 + b"\r\nTo: " + b"(" * 2000 + b" b@y.fr\r\nSubject: Garde\r\n"
           b"Message-ID: <g@x>\r\nContent-Type: text/html\r\n\r\n<p>Bonjour</p>")
    parsed = parse_message(raw)
    assert parsed.subject == "Garde" and parsed.message_id == "<g@x>" and parsed.html == "<p>Bonjour</p>"


def test_an_integration_error_in_french_words_fits_the_ascii_report_field() -> None:
    """The "Error:" field lives in a 7bit part (RFC 8098): "l'auteur n'est pas autorisé"
    made the whole read receipt fail to build, so the sender was never answered."""
    from mailproto.mime.headers import ascii_field
    from mailproto.mime.receipts import parse_report

    assert ascii_field("906^le paquet IHE_XDM n'a pas pu être lu\r\nX: y") == "906^le paquet IHE_XDM n'a pas pu etre lu  X: y"
    assert ascii_field("erreur — 😀") == "erreur ? ?"
    mdn = mdn_build(reporter="dui@ehpad.test", reporter_name="DUI", to="a@x.fr", original_message_id="<o@x>",
                    subject="Accusé de lecture", explanation="Non intégré.", message_id="<m@x>",
                    disposition="processed/error", error="901^l'auteur n'est pas autorisé à envoyer ce document")
    report = parse_report(mdn.as_bytes())
    assert report is not None and (report.error_code, report.failed) == ("901", True)
    assert report.error_label == "l'auteur n'est pas autorise a envoyer ce document"
