"""The pages not walked by the daily flows: folder settings, a forwarded message read in
place, the directory's contact card; each also checked with axe-core."""

from __future__ import annotations

import datetime as dt
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.browser.test_accessibility import violations
from tests.browser.test_mail_flows import SOPHIE, sign_in
from tests.conftest import IDENTITIES, PSCSim, imap_plain

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def server_folders() -> set[str]:
    box = imap_plain(SOPHIE)
    try:
        return {name for _flags, _delimiter, name in box.list_folders()}
    finally:
        box.logout()


def test_create_rename_and_delete_a_folder(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None) -> None:
    name, renamed = f"Ordonnances {uuid.uuid4().hex[:6]}", f"Ordonnances classées {uuid.uuid4().hex[:6]}"
    sign_in(page, site)
    page.get_by_label("Nouveau dossier").fill(name)
    page.get_by_role("button", name="Créer").click()
    page.locator("#folders").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert name in server_folders()
    assert violations(page) == []
    page.get_by_text("Réglages du dossier").click()
    page.get_by_label("Nouveau nom").fill(renamed)
    page.get_by_role("button", name="Renommer").click()
    expect(page.get_by_role("heading", name=renamed)).to_be_visible()
    assert renamed in server_folders() and name not in server_folders()
    page.get_by_text("Réglages du dossier").click()
    page.get_by_role("button", name="Supprimer le dossier").click()
    expect(page.locator("#folders").get_by_role("link", name=renamed)).to_have_count(0)
    assert renamed not in server_folders()


def test_a_forwarded_message_is_read_in_place(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None) -> None:
    tag = uuid.uuid4().hex[:6]
    inner = EmailMessage()
    inner["From"] = "Dr Hélène Roux <helene.roux@hopital.mssante.test>"
    inner["To"] = "julien.petit@hopital.mssante.test"
    inner["Subject"] = f"Compte rendu opératoire {tag}"
    inner["Date"] = format_datetime(dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    inner["Message-ID"] = make_msgid(domain="hopital.mssante.test")
    inner.set_content("Intervention sans complication.\n<script>alert(1)</script>\n")
    outer = EmailMessage()
    outer["From"] = "Julien PETIT <julien.petit@hopital.mssante.test>"
    outer["To"] = SOPHIE
    outer["Subject"] = f"Tr: Compte rendu opératoire {tag}"
    outer["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    outer["Message-ID"] = make_msgid(domain="hopital.mssante.test")
    outer.set_content("Pour information.\n")
    outer.add_attachment(inner, filename="compte-rendu.eml")
    box = imap_plain(SOPHIE)
    box.append("INBOX", outer.as_bytes())
    box.logout()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, site)
    page.get_by_role("link", name=f"Tr: Compte rendu opératoire {tag}").click()
    page.get_by_role("link", name="Lire").click()
    expect(page.get_by_role("heading", name=f"Compte rendu opératoire {tag}")).to_be_visible()
    expect(page.get_by_text("Dr Hélène Roux")).to_be_visible()
    body = page.frame_locator("iframe.message-body")
    expect(body.get_by_text("Intervention sans complication.")).to_be_visible()
    expect(body.get_by_text("<script>alert(1)</script>")).to_be_visible()  # shown as text
    assert violations(page) == [] and dialogs == []
    page.get_by_role("link", name="Retour au message").click()
    expect(page.get_by_role("heading", name=f"Tr: Compte rendu opératoire {tag}")).to_be_visible()


def test_contact_card_from_the_directory(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                         trust_data: None) -> None:
    sign_in(page, site)
    page.get_by_role("link", name="Annuaire").click()
    page.get_by_label("Nom, adresse, RPPS ou structure").fill("moreau")
    page.get_by_role("button", name="Rechercher").click()
    page.locator(".card.person").filter(has_text="lea.moreau@ehpad.mssante.test").get_by_role("heading").get_by_role(
        "link").click()
    expect(page.get_by_role("heading", name="Léa MOREAU")).to_be_visible()
    expect(page.get_by_text("Éducateur spécialisé")).to_be_visible()
    expect(page.get_by_text("lea.moreau@ehpad.mssante.test")).to_be_visible()
    assert violations(page) == []
    page.get_by_role("link", name="Écrire à").click()
    expect(page.locator(".chip", has_text="lea.moreau@ehpad.mssante.test")).to_have_attribute("data-kind", "trusted")


def test_an_index_failure_is_shown_in_the_folder_pane_and_retried(
        page: Page, site: str, psc_sim: PSCSim, demo_accounts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our side fails (the index database full) during a real sync: the folder pane says so
    in French, with the time of the next automatic try, and "Réessayer" syncs at once."""
    from django.db import OperationalError

    from apps.core.errors import IndexUnavailable
    from apps.mail import services, sync
    from apps.mail.models import Mailbox
    from tests.browser import helpers
    from tests.conftest import IDENTITIES
    from tests.integration.mail_server import append

    address = IDENTITIES["gp"]["mailbox"]
    subject = f"Après la panne {uuid.uuid4().hex[:6]}"
    append(address, subject=subject)  # something to store, so that the index is written

    def full(values: list[object]) -> int:
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(sync.writes, "insert_values", full)
    with pytest.raises(IndexUnavailable):
        services.mailbox_sync(access=services.MailAccess(
            mailbox=Mailbox.objects.get(address=address),
            token_provider=lambda force: psc_sim.mint("gp", lifetime=300)))
    monkeypatch.undo()

    helpers.sign_in(page, site, "Claire MARTIN")
    pane = page.locator(".sync-state")
    expect(pane).to_contain_text("La liste n'a pas pu être mise à jour de notre côté")
    expect(pane).to_contain_text("Nouvel essai automatique à")
    expect(pane).not_to_contain_text("ne répond pas")
    assert violations(page) == []
    pane.get_by_role("button", name="Réessayer").click()
    expect(page.locator(".sync-state")).to_contain_text("Synchronisé à")
    expect(page.get_by_role("link", name=subject)).to_be_visible()


def test_out_of_office_set_in_the_page_is_answered_then_stops(page: Page, site: str, psc_sim: PSCSim,
                                                              demo_accounts: None) -> None:
    """Issue 16: the reply set from the settings, answered by Dovecot (Pigeonhole through
    ManageSieve), shown in the folder pane; turned off, the next sender gets nothing."""
    import smtplib
    import time
    import uuid

    from tests.conftest import PORTS
    from tests.integration.mail_server import uids_with_subject, wait_for_subject

    claire = IDENTITIES["gp"]["mailbox"]

    def deliver(sender: str, subject: str) -> None:
        with smtplib.SMTP("127.0.0.1", PORTS.smtp_in) as smtp:
            smtp.sendmail(sender, [claire], f"From: {sender}\r\nTo: {claire}\r\nSubject: {subject}\r\n\r\nx\r\n".encode())

    tag = uuid.uuid4().hex[:6]
    helpers.sign_in(page, site, "Claire MARTIN", "/parametres/")
    page.get_by_role("link", name=claire).click()
    expect(page.get_by_role("heading", name="Répondeur d'absence")).to_be_visible()
    page.get_by_label("Objet").fill(f"Absente {tag}")
    page.get_by_label("Texte").fill("Je suis absente cette semaine.")
    page.get_by_role("button", name="Activer la réponse").click()
    expect(page.get_by_role("heading", name="La réponse est activée")).to_be_visible()
    nurse = IDENTITIES["nurse"]["mailbox"]
    deliver(nurse, f"Question {tag}")
    assert wait_for_subject(nurse, "INBOX", f"Absente {tag}", timeout=15)
    page.goto(site + "/")
    expect(page.get_by_role("link", name="Répondeur d'absence actif")).to_be_visible()
    page.get_by_role("link", name="Répondeur d'absence actif").click()
    page.get_by_role("button", name="Désactiver la réponse").click()
    expect(page.get_by_role("heading", name="La réponse est désactivée")).to_be_visible()
    pharmacist = IDENTITIES["pharmacist"]["mailbox"]
    deliver(pharmacist, f"Autre {tag}")
    assert wait_for_subject(claire, "INBOX", f"Autre {tag}", timeout=15)
    time.sleep(1.5)
    assert uids_with_subject(pharmacist, "INBOX", f"Absente {tag}") == []
    page.goto(site + "/")
    expect(page.get_by_role("link", name="Répondeur d'absence actif")).to_have_count(0)
