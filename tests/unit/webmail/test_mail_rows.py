"""The list's rows, written in Python for speed (issue 30): what a row says and links to,
every value a sender controls escaped, the patient and the outside sender marked, the
conversation's size and uids, the unreadable message's source link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context
from django.utils import timezone, translation
from lxml import html

from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.webmail.templatetags.mail_rows import message_rows

INS = "279035121518989"


def rows(*messages: MessageSummary, threads: bool = False, patients: dict[str, str] | None = None,
         outside: set[str] | None = None) -> list[html.HtmlElement]:
    box = Mailbox(pk=7, address="moi@medecin.mssante.test")
    context = Context({"mailbox": box, "folder": Folder(pk=3, mailbox=box), "threads": threads,
                       "patients": patients or {}, "outside": outside or set()})
    with translation.override("fr"):
        written = str(message_rows(context, list(messages)))
    return html.fragment_fromstring(f"<table><tbody>{written}</tbody></table>").xpath("//tr")


def message(**fields: object) -> MessageSummary:
    base = {"uid": 42, "subject": "Bonjour", "sender_name": "Dr Martin", "sender_address": "martin@medecin.mssante.test",
            "date": timezone.now(), "seen": True}
    return MessageSummary(**{**base, **fields})


def test_a_row_says_who_what_and_when_and_opens_the_message() -> None:
    (row,) = rows(message(subject="XDM/1.0/DDM+Compte rendu", seen=False, has_attachment=True, att_xdm=True,
                          flagged=True, date=timezone.now() - dt.timedelta(days=1)))
    assert row.get("class") == "unread" and row.get("data-uid") == "42" and row.get("draggable") == "true"
    assert row.xpath(".//input/@value") == ["42"] and row.xpath(".//input/@aria-label") == [
        "Sélectionner Compte rendu"]  # the XDM prefix hidden (ECO.3.1.3)
    assert row.xpath('.//a[@class="open"]/@href') == ["/bal/7/dossier/3/message/42/"]
    assert row.xpath('.//td[@class="from"]')[0].text_content() == "Dr Martin"
    subject = row.xpath('.//td[@class="subject"]')[0]
    assert subject.xpath('.//svg[@class="flag"]/@aria-label') == ["Suivis"]
    assert subject.xpath('.//svg[@class="clip"]/@aria-label') == ["Contient des pièces jointes"]
    assert "Document de santé" in subject.text_content()
    assert row.xpath(".//time")[0].text == "hier"


def test_what_a_sender_writes_is_escaped_everywhere() -> None:
    hostile = '"><script>alert(1)</script>'
    (row,) = rows(message(subject=hostile, sender_name=hostile, sender_address="x@y.fr"))
    written = html.tostring(row, encoding="unicode")
    assert "<script>" not in written and row.xpath("//script") == []
    assert row.xpath('.//a[@class="open"]')[0].text == hostile  # shown as text, intact


@pytest.mark.parametrize(("ins", "title", "shown"), [
    (INS, f"INS {INS}", f"Patient DUPONT Jeanne · INS {INS}"),
    ("?", "x@y.fr", "Patient Dr Martin"),  # an address the rule could not read as one INS
])
def test_a_patients_message_is_marked_and_named_from_the_list(ins: str, title: str, shown: str) -> None:
    (row,) = rows(message(patient_ins=ins, sender_address="x@y.fr"), patients={INS: "DUPONT Jeanne"})
    sender = row.xpath('.//td[@class="from"]')[0]
    assert sender.get("title") == title and " ".join(sender.text_content().split()) == shown


def test_an_outside_sender_a_conversation_and_an_unreadable_message() -> None:
    conversation = message(uid=5, seen=True)
    conversation.thread_uids, conversation.thread_size, conversation.thread_unread = "5,9,12", 3, 1
    unreadable = message(uid=6, unreadable=True, sender_address="Quelqu.un@Gmail.com")
    first, second = rows(conversation, unreadable, threads=True, outside={"quelqu.un@gmail.com"})
    assert first.get("class") == "unread" and first.xpath(".//input/@value") == ["5,9,12"]
    assert first.xpath('.//span[@class="thread-size"]/@title') == ["3 messages dans cette conversation"]
    assert second.xpath('.//a/@href') == ["/bal/7/dossier/3/message/6/source/"]
    assert "Hors espace de confiance" in second.text_content() and not first.xpath('.//*[@class="badge badge-outside"]')
