"""Reply, reply-all, forward and resumed-draft prefills, from parsed messages."""

from __future__ import annotations

import datetime as dt

import pytest

from mailproto.mime.message import Attachment, ParsedMessage
from mailproto.mime.replies import (
    QuoteTexts,
    draft_prefill,
    forward_prefill,
    forward_subject,
    reply_prefill,
    reply_subject,
)

TEXTS = QuoteTexts(forward_intro="--- Transféré ---\nDe : %(sender)s\nDate : %(date)s\nObjet : %(subject)s",
                   wrote="Le %(date)s, %(sender)s a écrit :")
PDF = Attachment(part_id="2", filename="ordonnance.pdf", content_type="application/pdf", size=10,
                 content_id="", inline=False)
LOGO = Attachment(part_id="3", filename="logo.png", content_type="image/png", size=10,
                  content_id="logo@x", inline=True)


def message(**changes: object) -> ParsedMessage:
    values: dict[str, object] = dict(
        subject="Sortie de Mme Dupont", sender_name="Dr Claire MARTIN",
        sender_address="claire.martin@medecin.mssante.test",
        to=("Julien PETIT <julien.petit@hopital.mssante.test>",),
        cc=("sophie.bernard@pharmacie.mssante.test", "Moi <Me@ehpad.mssante.test>"),
        date=dt.datetime(2026, 11, 24, 9, 5, tzinfo=dt.UTC), message_id="<b@x>",
        references="<a@x>", text="Bonjour,\nvoici le compte rendu.", html=None,
        attachments=(PDF, LOGO), read_receipt_to="", defects=0)
    values.update(changes)
    return ParsedMessage(**values)  # type: ignore[arg-type]


def test_subjects_are_prefixed_once() -> None:
    assert reply_subject("Bilan") == "Re: Bilan"
    assert reply_subject("RE: Bilan") == "RE: Bilan"
    assert forward_subject("Bilan") == "Tr: Bilan"
    assert forward_subject("Fwd: Bilan") == forward_subject("Fwd: Bilan") == "Fwd: Bilan"
    assert forward_subject("TR: Bilan") == "TR: Bilan"


@pytest.mark.requirement("ECO.2.2.4")
def test_reply_quotes_the_text_and_threads() -> None:
    prefill = reply_prefill(message(), to_all=False, own_addresses=set(), texts=TEXTS)
    assert prefill.to == ["claire.martin@medecin.mssante.test"]
    assert prefill.subject == "Re: Sortie de Mme Dupont"
    assert prefill.body == ("\n\nLe 24/11/2026 09:05, Dr Claire MARTIN a écrit :\n"
                            "> Bonjour,\n> voici le compte rendu.")
    assert prefill.in_reply_to == "<b@x>" and prefill.references == "<a@x> <b@x>"
    assert prefill.keep == [] and prefill.forward == ""


def test_reply_to_all_skips_the_users_own_mailboxes_and_duplicates() -> None:
    original = message(cc=("claire.martin@medecin.mssante.test", "Moi <me@ehpad.mssante.test>",
                           "sophie.bernard@pharmacie.mssante.test"))
    prefill = reply_prefill(original, to_all=True, own_addresses={"me@ehpad.mssante.test"}, texts=TEXTS)
    # The original's À stays in À, its Cc in Cc (issue 16); the sender once, the user never.
    assert prefill.to == ["claire.martin@medecin.mssante.test", "julien.petit@hopital.mssante.test"]
    assert prefill.cc == ["sophie.bernard@pharmacie.mssante.test"]
    assert prefill.bcc == []


def test_reply_goes_where_the_sender_asked_and_never_to_a_blind_copy() -> None:
    original = message(reply_to=("Secrétariat <secretariat@medecin.mssante.test>",),
                       bcc=("cache@hopital.mssante.test",))
    assert reply_prefill(original, to_all=False, own_addresses=set(), texts=TEXTS).to == [
        "secretariat@medecin.mssante.test"]
    everyone = reply_prefill(original, to_all=True, own_addresses=set(), texts=TEXTS)
    assert "cache@hopital.mssante.test" not in everyone.to + everyone.cc + everyone.bcc


def test_answering_ones_own_sent_message_writes_to_its_recipients_again() -> None:
    sent = message(sender_address="Me@ehpad.mssante.test",
                   cc=("sophie.bernard@pharmacie.mssante.test",))
    one = reply_prefill(sent, to_all=False, own_addresses={"me@ehpad.mssante.test"}, texts=TEXTS)
    assert one.to == ["julien.petit@hopital.mssante.test"] and one.cc == []
    everyone = reply_prefill(sent, to_all=True, own_addresses={"me@ehpad.mssante.test"}, texts=TEXTS)
    assert everyone.to == ["julien.petit@hopital.mssante.test"]
    assert everyone.cc == ["sophie.bernard@pharmacie.mssante.test"]


def test_reply_without_date_or_name_or_chain() -> None:
    prefill = reply_prefill(message(date=None, sender_name="", references="", text=None), to_all=False,
                            own_addresses=set(), texts=TEXTS)
    assert prefill.body == "\n\nLe , claire.martin@medecin.mssante.test a écrit :\n"
    assert prefill.references == "<b@x>"


def test_forward_keeps_attachments_but_not_inline_images() -> None:
    prefill = forward_prefill(message(), texts=TEXTS)
    assert prefill.to == [] and prefill.subject == "Tr: Sortie de Mme Dupont"
    assert prefill.forward == "inline" and prefill.keep == ["2"]
    assert "De : claire.martin@medecin.mssante.test" in prefill.body
    assert prefill.body.endswith("\n\nBonjour,\nvoici le compte rendu.")
    assert prefill.in_reply_to == ""  # a forward starts a new conversation


def test_forward_as_attachment() -> None:
    prefill = forward_prefill(message(subject="Tr: Bilan"), texts=TEXTS, attached=True)
    assert prefill == forward_prefill(message(subject="Tr: Bilan"), texts=TEXTS, attached=True)
    assert (prefill.subject, prefill.forward, prefill.body, prefill.keep) == ("Tr: Bilan", "attached", "", [])


def test_a_draft_resumes_with_its_recipients_chain_and_cleaned_html() -> None:
    draft = message(to=("Julien <julien.petit@hopital.mssante.test>", ""), references="<a@x> <b@x>",
                    html='<p onclick="x()">Bonjour <b>Julien</b></p><script>alert(1)</script>',
                    bcc=("cache@hopital.mssante.test",))
    prefill = draft_prefill(draft)
    assert prefill.to == ["julien.petit@hopital.mssante.test"]
    assert prefill.cc == ["sophie.bernard@pharmacie.mssante.test", "me@ehpad.mssante.test"]
    assert prefill.bcc == ["cache@hopital.mssante.test"]
    assert prefill.in_reply_to == "<b@x>" and prefill.references == "<a@x> <b@x>"
    assert "onclick" not in prefill.html and "script" not in prefill.html and "<b>Julien</b>" in prefill.html
    assert "Bonjour" in prefill.body and "<" not in prefill.body
    assert prefill.forward == "draft" and prefill.keep == ["2"]
    assert draft_prefill(message(references="")).in_reply_to == ""


def test_signature_goes_above_the_quote_with_the_standard_delimiter() -> None:
    from mailproto.mime.replies import with_signature

    assert with_signature("\n\n> cité", "Dr Martin\nCabinet\n") == "\n\n-- \nDr Martin\nCabinet\n\n\n> cité"
    assert with_signature("texte", "  \n") == "texte"
