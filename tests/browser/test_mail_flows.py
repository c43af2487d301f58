"""A professional's daily flows in the real browser, against the real operator stack and
a real Celery worker: read, reply with an attachment (found in the recipient's INBOX after
SMTP → LMTP → IMAP), forward, move, delete, search."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from email.utils import format_datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.conftest import IDENTITIES, PSCSim
from tests.integration.mail_server import append, raw_with_subject, uids_with_subject, wait_for_subject

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SOPHIE = IDENTITIES["pharmacist"]["mailbox"]
JULIEN = IDENTITIES["nurse"]["mailbox"]
FROM_JULIEN = f"Julien PETIT <{JULIEN}>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def tag(devstack: dict[str, str]) -> str:
    """A word no other message has, so each run finds its own messages."""
    return uuid.uuid4().hex[:8]


def deliver(subject: str, body: str = "Bonjour,\nmessage de test.\n", minutes_ago: int = 0) -> None:
    """A message from Julien in Sophie's INBOX, dated now so that it heads her list."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    append(SOPHIE, subject=subject, sender=FROM_JULIEN, To=SOPHIE, Date=format_datetime(when),
           body=body)


def sign_in(page: Page, site: str) -> None:
    """Sophie, the pharmacist, whose mailbox these flows use."""
    helpers.sign_in(page, site, "Sophie BERNARD")


def compose_ready(page: Page) -> None:
    """Wait for the compose page's script: before it runs, Enter in the "To" field submits
    the form (the server then makes the chips, without sending; test_compose covers that)
    instead of adding a chip in place. It shows the "Mise en forme" button last."""
    expect(page.get_by_role("heading", name="Nouveau message")).to_be_visible()
    expect(page.get_by_role("button", name="Mise en forme")).to_be_visible()


def wait_until_sent(page: Page, subject: str) -> None:
    """The outbox page polls; the worker sends within seconds."""
    expect(page.get_by_role("heading", name="Boîte d'envoi")).to_be_visible()
    row = page.locator("tr", has_text=subject)
    expect(row.get_by_text("Envoyé", exact=True)).to_be_visible(timeout=30_000)


def test_read_then_reply_with_an_attachment(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                            trust_data: None, celery_worker: Any, tag: str) -> None:
    subject = f"Traitement de M. Garnier {tag}"
    deliver(subject, body="Bonjour,\nle bilan est-il arrivé ?\nJulien\n")
    sign_in(page, site)
    page.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    expect(page.get_by_text("Julien PETIT").first).to_be_visible()
    expect(page.frame_locator("iframe.message-body").get_by_text("le bilan est-il arrivé ?")).to_be_visible()

    page.get_by_role("link", name="Répondre", exact=True).click()
    expect(page.get_by_role("heading", name="Nouveau message")).to_be_visible()
    expect(page.locator(".chip", has_text=JULIEN)).to_have_attribute("data-kind", "trusted")
    expect(page.get_by_label("Objet")).to_have_value(f"Re: {subject}")
    body = page.get_by_label("Message")
    expect(body).to_contain_text("> le bilan est-il arrivé ?")  # quoted
    body.press("Control+Home")
    body.press_sequentially("Oui, le voici.\n")
    page.set_input_files("#attachments", files=[
        {"name": "bilan-garnier.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Envoyer").click()
    wait_until_sent(page, f"Re: {subject}")

    assert wait_for_subject(JULIEN, "INBOX", f"Re: {subject}", timeout=15)
    raw = raw_with_subject(JULIEN, "INBOX", f"Re: {subject}")
    assert b"Oui, le voici." in raw and b'filename="bilan-garnier.pdf"' in raw
    assert b"In-Reply-To: <" in raw  # threaded under Julien's message
    assert wait_for_subject(SOPHIE, "Sent", f"Re: {subject}")


def test_forward_to_a_colleague(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                trust_data: None, celery_worker: Any, tag: str) -> None:
    subject = f"Stock d'amoxicilline {tag}"
    deliver(subject, body="Reste-t-il des boîtes ?\n")
    sign_in(page, site)
    page.get_by_role("link", name=subject).click()
    page.get_by_role("link", name="Transférer", exact=True).click()
    expect(page.get_by_label("Objet")).to_have_value(f"Tr: {subject}")
    expect(page.get_by_label("Message")).to_contain_text("Reste-t-il des boîtes ?")
    compose_ready(page)
    field = page.get_by_role("combobox", name="À")
    field.fill(JULIEN)
    field.press("Enter")
    expect(page.locator(".chip", has_text=JULIEN)).to_have_attribute("data-kind", "trusted")
    page.get_by_role("button", name="Envoyer").click()
    wait_until_sent(page, f"Tr: {subject}")
    assert wait_for_subject(JULIEN, "INBOX", f"Tr: {subject}", timeout=15)
    assert b"Reste-t-il des bo" in raw_with_subject(JULIEN, "INBOX", f"Tr: {subject}")


def test_move_delete_and_search(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                trust_data: None, tag: str) -> None:
    to_move, to_delete, to_find = (f"À classer {tag}", f"À supprimer {tag}", f"Compte rendu {tag}")
    deliver(to_move, minutes_ago=2)
    deliver(to_delete, minutes_ago=1)
    deliver(to_find, body=f"Le mot introuvable est mot{tag}.\n")
    sign_in(page, site)

    # Move, from the reader, to Archives.
    page.get_by_role("link", name=to_move).click()
    page.get_by_label("Déplacer vers").select_option(label="Archives")
    page.get_by_role("button", name="Déplacer", exact=True).click()
    expect(page.get_by_role("link", name=to_move)).to_have_count(0)
    assert uids_with_subject(SOPHIE, "Archive", to_move) and not uids_with_subject(SOPHIE, "INBOX", to_move)

    # Delete, from the list, with the row's checkbox.
    page.get_by_role("link", name="Boîte de réception").first.click()
    page.get_by_label(f"Sélectionner {to_delete}").check()
    page.get_by_role("button", name="Supprimer", exact=True).click()
    expect(page.get_by_role("link", name=to_delete)).to_have_count(0)
    assert uids_with_subject(SOPHIE, "Trash", to_delete) and not uids_with_subject(SOPHIE, "INBOX", to_delete)

    # Search: the subject from the index, a word of the text through IMAP SEARCH.
    page.get_by_label("Rechercher dans la boîte").fill(tag)
    page.get_by_label("Rechercher dans la boîte").press("Enter")
    expect(page.get_by_role("heading", name="Rechercher dans la boîte")).to_be_visible()
    results = page.locator("table.messages")
    expect(results.get_by_role("link", name=to_find)).to_be_visible()
    expect(results.get_by_role("link", name=to_move)).to_be_visible()  # in Archives now
    # No worker runs here, so the body index is empty: the server's SEARCH finds the word.
    # Typed, not submitted (issue 30): the headers answer first (nothing), then the page asks
    # for the texts by itself and their match replaces the results.
    page.get_by_label("Demander aussi au serveur (messages pas encore indexés, plus lent)").check()
    page.get_by_label("Expéditeur, destinataire, objet ou texte").fill(f"mot{tag}")
    expect(page.locator("table.messages").get_by_role("link", name=to_find)).to_be_visible()
    expect(page.locator("table.messages tbody tr")).to_have_count(1)  # the word is in one text
    assert "vite" not in page.url and f"mot{tag}" in page.url  # the address keeps the whole search


def test_drag_a_message_onto_a_folder_and_sort_the_list(page: Page, site: str, psc_sim: PSCSim,
                                                        demo_accounts: None, tag: str) -> None:
    dragged, kept = f"Glisser {tag}", f"Rester {tag}"
    deliver(kept, minutes_ago=1)
    deliver(dragged)
    sign_in(page, site)
    row = page.locator("table.mail-rows tr", has_text=dragged)
    row.drag_to(page.locator("#folders a", has_text="Archives"))
    expect(page.get_by_text("Déplacé vers Archives.")).to_be_visible()
    expect(page.get_by_role("link", name=dragged)).to_have_count(0)
    expect(page.get_by_role("link", name=kept)).to_be_visible()
    assert uids_with_subject(SOPHIE, "Archive", dragged)

    opened = page.locator("table.mail-rows a.open")
    newest = opened.first.inner_text()
    page.get_by_label("Trier par").select_option(label="Plus anciens d'abord")  # applies at once
    expect(page).to_have_url(re.compile(r"tri=ancien"))
    expect(opened.first).not_to_have_text(newest)
    if opened.count() < 50:  # the newest comes last when the folder fits on one page
        expect(opened.last).to_have_text(newest)
    page.get_by_label("Trier par").select_option(label="Plus récents d'abord")
    expect(page).to_have_url(re.compile(r"tri=date"))
    expect(opened.first).to_have_text(newest)


def test_rich_text_with_a_signature_and_an_uploaded_attachment(page: Page, site: str, psc_sim: PSCSim,
                                                               demo_accounts: None, trust_data: None,
                                                               celery_worker: Any, tag: str) -> None:
    subject = f"Protocole de pansement {tag}"
    sign_in(page, site)
    page.get_by_role("link", name="Paramètres").click()
    page.get_by_label(SOPHIE).fill("Sophie Bernard\nPharmacie du Marché")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Paramètres enregistrés.")).to_be_visible()

    page.get_by_role("link", name="Écrire").click()
    expect(page.get_by_label("Message")).to_have_value("\n\n-- \nSophie Bernard\nPharmacie du Marché\n")
    compose_ready(page)
    field = page.get_by_role("combobox", name="À")
    field.fill(JULIEN)
    field.press("Enter")
    page.get_by_label("Objet").fill(subject)
    page.get_by_role("button", name="Mise en forme").click()
    editor = page.get_by_role("textbox", name="Texte mis en forme")
    expect(editor).to_be_visible()
    expect(page.get_by_label("Message")).to_be_hidden()
    editor.press("Control+Home")
    editor.press_sequentially("Bonjour, ")
    page.get_by_role("button", name="Gras").click()
    editor.press_sequentially("changement tous les deux jours")
    page.get_by_role("button", name="Gras").click()
    editor.press("Enter")
    page.get_by_role("button", name="Liste à puces").click()
    editor.press_sequentially("compresses stériles")
    page.set_input_files("#attachments", files=[
        {"name": "protocole.pdf", "mimeType": "application/pdf", "buffer": PDF * 20000}])  # ~1 MB
    page.get_by_role("button", name="Envoyer").click()
    wait_until_sent(page, subject)  # the upload went through XMLHttpRequest, then the outbox

    assert wait_for_subject(JULIEN, "INBOX", subject, timeout=15)
    raw = raw_with_subject(JULIEN, "INBOX", subject).decode("utf-8", "replace")
    assert "<b>changement tous les deux jours</b>" in raw and "<li>compresses st" in raw
    assert "Content-Type: text/plain" in raw and "- compresses st" in raw  # the text version
    assert "Sophie Bernard" in raw and 'filename="protocole.pdf"' in raw


def test_a_draft_keeps_its_attachments_until_sent(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                                  trust_data: None, celery_worker: Any, tag: str) -> None:
    subject = f"Ordonnance à compléter {tag}"
    sign_in(page, site)
    page.get_by_role("link", name="Écrire").click()
    compose_ready(page)
    field = page.get_by_role("combobox", name="À")
    field.fill(JULIEN)
    field.press("Enter")
    page.get_by_label("Objet").fill(subject)
    page.set_input_files("#attachments", files=[
        {"name": "ordonnance.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    expect(page.locator("#draft-state")).to_contain_text("Brouillon enregistré", timeout=12_000)
    kept = page.locator("#kept-files")
    expect(kept).to_contain_text("Pièces jointes du brouillon")
    expect(kept.get_by_label("ordonnance.pdf")).to_be_checked()
    expect(page.locator("#attachments")).to_have_value("")  # not uploaded a second time
    assert b'filename="ordonnance.pdf"' in raw_with_subject(SOPHIE, "Drafts", subject)

    # Later: resumed from Drafts, with its attachment, then sent once.
    page.goto(site + "/")
    page.get_by_role("link", name="Brouillons").first.click()
    page.get_by_role("link", name=subject).click()
    page.get_by_role("link", name="Reprendre le brouillon").click()
    expect(page.get_by_label("Objet")).to_have_value(subject)
    expect(page.locator("#kept-files").get_by_label("ordonnance.pdf")).to_be_checked()
    page.get_by_role("button", name="Envoyer").click()
    wait_until_sent(page, subject)
    assert wait_for_subject(JULIEN, "INBOX", subject, timeout=15)
    raw = raw_with_subject(JULIEN, "INBOX", subject)
    assert raw.count(b'filename="ordonnance.pdf"') == 1
    assert not uids_with_subject(SOPHIE, "Drafts", subject)  # the draft is gone once sent


def test_reply_all_with_cc_then_a_blind_copy(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                            trust_data: None, celery_worker: Any, tag: str) -> None:
    """Issue 16: « Répondre à tous » puts the original's À in À and its Cc in Cc (Sophie
    herself removed); « Cci » unfolds a field whose recipient gets the message while no
    header anyone sees names them."""
    lea, karim = IDENTITIES["educator"]["mailbox"], IDENTITIES["social"]["mailbox"]
    subject = f"Synthèse de M. Garnier {tag}"
    when = dt.datetime.now(dt.UTC)
    append(SOPHIE, subject=subject, sender=FROM_JULIEN, To=f"{SOPHIE}, {lea}", Cc=karim,
           Date=format_datetime(when), body="Qui vient jeudi ?\n")
    sign_in(page, site)
    page.get_by_role("link", name=subject).click()
    page.get_by_role("link", name="Répondre à tous").click()
    compose_ready(page)
    to_field, cc_field = page.locator("#to-field"), page.locator("#cc-field")
    expect(to_field.locator(".chip", has_text=JULIEN)).to_have_attribute("data-kind", "trusted")
    expect(to_field.locator(".chip", has_text=lea)).to_be_visible()
    expect(cc_field).to_be_visible()  # holds someone: not folded
    expect(cc_field.locator(".chip", has_text=karim)).to_be_visible()
    expect(page.locator(".chip", has_text=SOPHIE)).to_have_count(0)
    expect(page.locator("#bcc-field")).to_be_hidden()  # empty: folded behind « Cci »
    page.get_by_role("button", name="Ajouter des destinataires en copie cachée (Cci)").click()
    blind = page.get_by_role("combobox", name="Cci")
    expect(blind).to_be_focused()
    blind.fill(IDENTITIES["gp"]["mailbox"])
    blind.press("Enter")
    expect(page.locator("#bcc-field .chip", has_text=IDENTITIES["gp"]["mailbox"])).to_have_attribute(
        "data-kind", "trusted")
    page.get_by_role("button", name="Envoyer").click()
    wait_until_sent(page, f"Re: {subject}")
    for address in (JULIEN, lea, karim, IDENTITIES["gp"]["mailbox"]):
        assert wait_for_subject(address, "INBOX", f"Re: {subject}", timeout=15), address
    assert wait_for_subject(SOPHIE, "Sent", f"Re: {subject}")
    for raw in (raw_with_subject(JULIEN, "INBOX", f"Re: {subject}"),
                raw_with_subject(SOPHIE, "Sent", f"Re: {subject}")):
        header = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").lower()
        assert f"cc: {karim}".encode() in header and lea.encode() in header
        assert b"\nbcc:" not in header and IDENTITIES["gp"]["mailbox"].encode() not in header


def test_mail_delivered_by_smtp_appears_in_the_open_list_without_reload(
        page: Page, site: str, psc_sim: PSCSim, demo_accounts: None, celery_worker: Any, watcher: Any,
        tag: str) -> None:
    """Issue 16: the watcher's IDLE sees the delivery, a worker syncs the INBOX, the list's
    poll puts the row at its top; the page is never loaded again."""
    import smtplib

    from tests.conftest import PORTS

    deliver(f"Avant {tag}")
    sign_in(page, site)
    expect(page.get_by_role("link", name=f"Avant {tag}")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page is loaded again
    subject = f"Arrivé pendant la lecture {tag}"
    with smtplib.SMTP("127.0.0.1", PORTS.smtp_in) as smtp:
        smtp.sendmail(JULIEN, [SOPHIE], (f"From: Julien PETIT <{JULIEN}>\r\nTo: {SOPHIE}\r\n"
                                         f"Subject: {subject}\r\n\r\nBonjour\r\n").encode())
    row = page.locator("#rows tr").first
    expect(row).to_contain_text(subject, timeout=20_000)
    expect(row).to_have_class(re.compile(r"\barrived\b"))
    expect(page.locator("#rows tr", has_text=subject)).to_have_count(1)
    assert page.evaluate("window.sameDocument === true")
    # The row is a row like the others: it opens the message.
    row.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()


def test_the_body_frame_takes_its_contents_height(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                                  tag: str) -> None:
    """Issue 16: a two-line message leaves no empty box, a long one scrolls with the page
    (not inside the frame); the frame still runs no script."""
    deliver(f"Court {tag}", body="Bonjour,\nà demain.\n", minutes_ago=1)
    deliver(f"Long {tag}", body="".join(f"Ligne {n} du compte rendu.\n" for n in range(300)))
    sign_in(page, site)
    page.get_by_role("link", name=f"Court {tag}").click()
    frame = page.locator("iframe.message-body")
    expect(frame).to_have_class(re.compile(r"\bsized\b"))
    inner = page.frame_locator("iframe.message-body")
    expect(inner.get_by_text("à demain.")).to_be_visible()
    short = frame.bounding_box()
    assert short is not None and short["height"] < 250, short
    page.go_back()
    page.get_by_role("link", name=f"Long {tag}").click()
    expect(page.frame_locator("iframe.message-body").get_by_text("Ligne 299 du compte rendu.")).to_be_attached()
    expect(frame).to_have_class(re.compile(r"\bsized\b"))
    tall = frame.bounding_box()
    assert tall is not None and tall["height"] > 3000, tall
    # Nothing left to scroll inside the frame: the page scrolls instead.
    assert frame.evaluate("f => f.contentDocument.documentElement.scrollHeight <= f.clientHeight + 2")
    expect(frame).not_to_have_attribute("sandbox", re.compile("allow-scripts"))  # still no script


def test_search_as_you_type_finds_a_word_of_the_text_from_the_local_index(
        page: Page, site: str, psc_sim: PSCSim, demo_accounts: None, celery_worker: Any, tag: str) -> None:
    """Issue 16: the worker indexes the bodies after its sync; typing in the search box
    shows the message whose text holds the word (accents ignored), without pressing Enter."""
    from apps.mail.bodyindex import bodies_pending
    from apps.mail.models import Folder

    subject = f"Compte rendu opératoire {tag}"
    deliver(subject, body=f"Intervention sans complication ; cicatrisation{tag} à surveiller.\n")
    sign_in(page, site)  # the sign-in asks a worker for a sync, then for the body index
    inbox = Folder.objects.get(mailbox__address=SOPHIE, role="inbox")
    deadline = time.monotonic() + 30
    while bodies_pending(folder_id=inbox.pk, limit=1) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert bodies_pending(folder_id=inbox.pk, limit=1) == []
    page.get_by_label("Rechercher dans la boîte").fill(tag[:4])
    page.get_by_label("Rechercher dans la boîte").press("Enter")
    expect(page.get_by_role("heading", name="Rechercher dans la boîte")).to_be_visible()
    page.evaluate("window.sameDocument = true")
    box = page.get_by_label("Expéditeur, destinataire, objet ou texte")
    box.fill("")
    box.press_sequentially(f"CICATRISATION{tag}"[:16], delay=30)  # a word's beginning, capitals
    expect(page.locator("#results").get_by_role("link", name=subject)).to_be_visible()
    assert page.evaluate("window.sameDocument === true")  # no page load: htmx replaced the results
    expect(page).to_have_url(re.compile("q=CICATRISATION"))  # the address follows, for a reload or a bookmark
