"""The whole patient loop in the browser (issue 14): the patient list → write to the
patient (the address built from the INS, the informed-patient confirmation) → the patient
replies from their mailbox → the reply waits in "Patients – à valider" → "Autoriser ce
patient" → it is in the inbox → the patient's page lists both messages. Screenshots;
axe-core clean on the new pages."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devstack import stack
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_mail_flows import compose_ready, wait_until_sent
from tests.conftest import ENV, IDENTITIES, PSCSim
from tests.integration.mail_server import fresh_patient_list, wait_for_subject

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PATIENT = stack.IDENTITIES["patients"][0]
ADDRESS = f"{PATIENT['ins']}@{stack.IDENTITIES['patient_domain']}"
GP = IDENTITIES["gp"]["mailbox"]


def test_write_to_a_patient_then_allow_their_reply(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                                   trust_data: None, celery_worker: Any, artifacts: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    fresh_patient_list(IDENTITIES["gp"]["idnat"])
    sign_in(page, site, "Claire MARTIN")
    page.goto(site + "/patients/")
    born = "/".join(reversed(PATIENT["birth_date"].split("-")))
    csv = (f"INS;Type INS;Nom naissance;Prénoms;Date naissance;Sexe;Qualifié\n"
           f"{PATIENT['ins']};NIR;{PATIENT['family_name']};{PATIENT['given_name']};{born};F;oui\n").encode()
    page.set_input_files("#csv", files=[{"name": "patients.csv", "mimeType": "text/csv", "buffer": csv}])
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("heading", name="1 patient ajouté")).to_be_visible()
    page.screenshot(path=str(artifacts / "patients-1-list.png"), full_page=True)
    problems = {"liste des patients": violations(page)}

    page.get_by_role("row", name=PATIENT["family_name"]).get_by_role("link", name="Écrire").click()
    compose_ready(page)
    expect(page.locator(".chip", has_text=ADDRESS)).to_be_visible()
    page.get_by_label("Objet").fill(f"Votre rendez-vous {tag}")
    page.get_by_label("Message").fill("Bonjour, votre rendez-vous est confirmé jeudi à 10 h.\n")
    page.get_by_label("J'ai informé le patient").check()
    page.get_by_label("Le patient ne peut pas répondre").uncheck()
    page.get_by_role("button", name="Envoyer").click()
    wait_until_sent(page, f"Votre rendez-vous {tag}")
    assert wait_for_subject(ADDRESS, "INBOX", f"Votre rendez-vous {tag}", timeout=15)

    # The patient answers from their Mon espace santé mailbox (the operator's SMTP, then LMTP).
    reply = (f"From: {PATIENT['given_name']} {PATIENT['family_name']} <{ADDRESS}>\r\nTo: {GP}\r\n"
             f"Subject: Re: Votre rendez-vous {tag}\r\nMessage-ID: <{uuid.uuid4().hex}@patient>\r\n\r\n"
             "Merci, je serai là.\r\n").encode()
    with smtplib.SMTP("127.0.0.1", int(ENV["MSSANTE_SMTP_INBOUND_PORT"]), timeout=10) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"]))
        smtp.sendmail(ADDRESS, [GP], reply)
    assert wait_for_subject(GP, "INBOX", f"Re: Votre rendez-vous {tag}", timeout=15)

    page.goto(site + "/")
    page.get_by_role("button", name="Actualiser").click()
    pending = page.get_by_role("link", name="Patients – à valider")
    expect(pending).to_be_visible()
    pending.click()
    page.get_by_role("link", name=f"Re: Votre rendez-vous {tag}").click()
    expect(page.get_by_text("Patient non autorisé")).to_be_visible()
    page.screenshot(path=str(artifacts / "patients-2-pending.png"), full_page=True)
    problems["message à valider"] = violations(page)
    page.get_by_role("button", name="Autoriser ce patient").click()
    expect(page.locator(".messages-flash")).to_contain_text("peut désormais vous écrire")
    assert wait_for_subject(GP, "INBOX", f"Re: Votre rendez-vous {tag}")
    page.goto(site + "/")
    expect(page.get_by_role("link", name=f"Re: Votre rendez-vous {tag}")).to_be_visible()
    page.screenshot(path=str(artifacts / "patients-3-allowed.png"), full_page=True)

    # The patient's page: who they are, and both messages with their direction.
    page.goto(site + "/patients/")
    page.get_by_role("link", name=PATIENT["family_name"].upper()).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PATIENT["family_name"].upper())
    expect(page.locator("main .facts")).to_contain_text(ADDRESS.lower())
    exchanges = page.get_by_role("table", name="Messages échangés avec ce patient")
    expect(exchanges.get_by_role("row", name=f"Envoyé Votre rendez-vous {tag}")).to_be_visible()
    expect(exchanges.get_by_role("row", name=f"Reçu Re: Votre rendez-vous {tag}")).to_be_visible()
    page.screenshot(path=str(artifacts / "patients-4-page.png"), full_page=True)
    bar = page.locator("header.topbar").bounding_box()
    assert page.viewport_size and page.viewport_size["width"] == 1280
    assert bar and bar["height"] < 70, f"the top bar takes {bar} at 1280 px: one line expected"
    problems["fiche patient"] = violations(page)
    assert {k: v for k, v in problems.items() if v} == {}
