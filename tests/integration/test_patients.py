"""The patient list (issue 14, part): a CSV imported from the page with its per-line report,
searched; "Écrire" and the compose suggestions build the Mon espace santé address from the
INS, and a message written that way reaches the devstack patient's mailbox: the first only
once the professional confirms the patient was informed, with X-MSS-MES: FIN when the
patient cannot reply; a patient opposed to MSSanté exchanges is refused with the reason."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from apps.mail.models import OutboxMessage
from apps.patients.models import Patient, PatientInformed
from devstack import stack
from mss.ins import ins_key
from tests.conftest import PSCSim, django_signin, navigating_client
from tests.integration.mail_server import (
    fresh_patient_list,
    outbox_send_pending,
    raw_with_subject,
    wait_for_subject,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
PATIENT = stack.IDENTITIES["patients"][0]
DOMAIN = stack.IDENTITIES["patient_domain"]


@pytest.mark.requirement("ECO.3.1.5", "ECO.2.2.6", "ECO.2.2.8")
def test_import_search_and_write_to_a_patient(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                             trust_data: None) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fresh_patient_list("899700123450")
    django_signin(client, "gp")
    csv = ("INS;Type INS;Nom naissance;Prénoms;Date naissance;Sexe;Qualifié\n"
           f"{PATIENT['ins']};NIR;{PATIENT['family_name']};{PATIENT['given_name']};"
           f"{'/'.join(reversed(PATIENT['birth_date'].split('-')))};F;oui\n"
           "279035121518988;NIR;Durand;Paul;01/01/1980;M;oui\n").encode()
    page = client.post("/patients/", {"csv": SimpleUploadedFile("patients.csv", csv, "text/csv")})
    text = page.content.decode().replace("&#x27;", "'")
    assert "1 patient ajouté" in text and "Ligne 3 : la clé de l'INS ne correspond pas" in text
    assert Patient.objects.filter(owner__idnat="899700123450", matricule=PATIENT["ins"]).exists()

    found = client.get("/patients/", {"q": PATIENT["family_name"][:3]}).content.decode()
    address = f"{PATIENT['ins']}@{DOMAIN}"
    assert PATIENT["ins"] in found and f"?a={PATIENT['ins']}%40{DOMAIN}" in found
    suggestions = client.get("/annuaire/suggestions/", {"q": PATIENT["family_name"][:4]}).json()["results"]
    assert any(r["address"] == address and "INS" in r["profession"] for r in suggestions)

    subject = f"Votre rendez-vous {uuid.uuid4().hex[:6]}"
    assert address in client.get("/ecrire/", {"a": address}).content.decode()
    message = {"to": [address], "subject": subject, "body": "Bonjour, à jeudi.", "no_reply": "1"}
    # ECO.2.2.6: not while the list holds the INS unqualified, nor for an INS outside the list.
    Patient.objects.filter(matricule=PATIENT["ins"]).update(qualified=False)
    unqualified = client.post("/ecrire/", {**message, "patient_informed": "1"})
    assert unqualified.status_code == 400 and "n'est pas qualifié" in unqualified.content.decode().replace(
        "&#x27;", "'")
    Patient.objects.filter(matricule=PATIENT["ins"]).update(qualified=True)
    outside_the_list = "2790351215189" + ins_key("2790351215189")  # a valid INS nobody qualified
    stranger = client.post("/ecrire/", {**message, "to": [f"{outside_the_list}@{DOMAIN}"],
                                        "patient_informed": "1"})
    assert stranger.status_code == 400 and not OutboxMessage.objects.filter(subject=subject).exists()
    first = client.post("/ecrire/", message)  # a first message: the confirmation is asked
    assert first.status_code == 400 and "premier message à ce patient" in first.content.decode()
    assert not OutboxMessage.objects.filter(subject=subject).exists()
    sent = client.post("/ecrire/", {**message, "patient_informed": "1"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    assert PatientInformed.objects.filter(matricule=PATIENT["ins"], owner__idnat="899700123450").count() == 1
    outbox_send_pending()
    assert OutboxMessage.objects.get(subject=subject).status == "sent"
    assert wait_for_subject(address, "INBOX", subject)
    assert b"X-MSS-MES: FIN" in raw_with_subject(address, "INBOX", subject, "BODY.PEEK[HEADER]")
    again = client.post("/ecrire/", {"to": [address], "subject": subject + " (2)", "body": "Précision."})
    assert again.status_code == 302  # confirmed once: not asked again
    outbox_send_pending()
    assert wait_for_subject(address, "INBOX", subject + " (2)")
    assert b"X-MSS-MES" not in raw_with_subject(address, "INBOX", subject + " (2)", "BODY.PEEK[HEADER]")

    patient = Patient.objects.get(matricule=PATIENT["ins"], owner__idnat="899700123450")
    client.post("/patients/", {"patient": patient.pk, "opposed": "1"})  # recorded from the list
    assert "Opposé à MSSanté" in client.get("/patients/").content.decode()
    refused = client.post("/ecrire/", {"to": [address], "subject": "Refusé", "body": "x"})
    text = refused.content.decode().replace("&#x27;", "'")
    assert refused.status_code == 400 and f"Le patient {PATIENT['ins']} s'est opposé" in text
    assert not OutboxMessage.objects.filter(subject="Refusé").exists()


def test_a_patients_page_shows_who_they_are_and_every_message_exchanged(
        client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    """Through the real Dovecot: a message from the patient (INBOX), one sent to them (Sent)
    and one in a user folder are listed with their direction; another patient's message, a
    colleague's, and an address that only ends like the patient's are not; the page's
    buttons act on the patient; another professional's patient is a 404."""
    from apps.mail import services
    from apps.patients.models import Habilitation
    from tests.integration.mail_server import SYNCHRO, append, reset_mailbox, synchro_inbox

    fresh_patient_list("899700123450")
    address = f"{PATIENT['ins']}@{DOMAIN}".lower()
    other = f"277076322082910@{DOMAIN}"
    reset_mailbox(SYNCHRO)
    append(SYNCHRO, subject="Question sur mon traitement", sender=f"{PATIENT['given_name']} <{address}>")
    append(SYNCHRO, subject="Autre patient", sender=f"Ruth <{other}>")
    append(SYNCHRO, subject="Avis de confrère", To=f"x{address}")
    append(SYNCHRO, "Sent", subject="Votre ordonnance", sender="synchro@medecin.mssante.test", To=address)
    append(SYNCHRO, "Archive", subject="Compte rendu", sender="synchro@medecin.mssante.test",
           To=f"{other}, {address}")
    box, _ = synchro_inbox()
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    django_signin(client, "gp")
    patient = Patient.objects.create(owner=box.owner, matricule=PATIENT["ins"], oid="1.2.250.1.213.1.4.10",
                                     birth_name=PATIENT["family_name"].upper(), given_names=PATIENT["given_name"],
                                     birth_date=PATIENT["birth_date"], sex="F")

    page = client.get(f"/patients/{patient.pk}/")
    text = page.content.decode().replace("&#x27;", "'")
    assert page.status_code == 200
    assert address in text and "INS de test" in text and f"?a={PATIENT['ins'].lower()}%40" in text.lower()
    shown = re.findall(r'<td>(Reçu|Envoyé)</td>\s*<td class="subject"><a href="[^"]*">([^<]*)</a>', text)
    assert sorted(shown) == [("Envoyé", "Compte rendu"), ("Envoyé", "Votre ordonnance"),
                             ("Reçu", "Question sur mon traitement")], shown
    assert "Autre patient" not in text and "Avis de confrère" not in text

    client.post(f"/patients/{patient.pk}/", {"patient": patient.pk, "allowed": "1"})
    assert Habilitation.objects.filter(owner=box.owner, matricule=PATIENT["ins"]).exists()
    assert "peut vous écrire" in client.get(f"/patients/{patient.pk}/").content.decode()
    colleague = navigating_client()
    django_signin(colleague, "nurse")
    assert colleague.get(f"/patients/{patient.pk}/").status_code == 404


@pytest.mark.requirement("ECO.3.1.1", "ECO.3.1.2")
def test_a_patients_message_is_listed_with_who_the_patient_is(client: Client, psc_sim: PSCSim,
                                                               demo_accounts: None, seeded_mail: None) -> None:
    """Told apart without reading the domain: the Patient badge, the birth name and first
    given name the professional's list holds (not what the patient's mail program wrote), and
    the INS."""
    django_signin(client, "gp")
    page = client.get("/", follow=True).content.decode()
    row = next(r for r in page.split("<tr ") if "Question sur mon traitement" in r)
    assert '<span class="badge badge-patient">Patient</span> <span class="patient-name">DUPONT Jeanne</span>' in row
    assert f"INS {PATIENT['ins']}" in row
    professional = next(r for r in page.split("<tr ") if "Ordonnance de M. Garnier" in r)
    assert "badge-patient" not in professional and "INS " not in professional
    Patient.objects.filter(matricule=PATIENT["ins"]).delete()  # a patient the list does not know
    row = next(r for r in client.get("/", follow=True).content.decode().split("<tr ")
               if "Question sur mon traitement" in r)
    assert "Jeanne Dupont" in row and f"INS {PATIENT['ins']}" in row and "patient-name" not in row
