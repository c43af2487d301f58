"""A patient's biology over time (issue 26, part): three CR-BIO reports received for a
patient of the professional's list, in two folders, are found by the subject convention,
confirmed by the INS in each document, and their haemoglobin shown on the patient's page —
the latest value with its flag in words, and a plot of the three values against the
reference range (server-side SVG, no script); a report naming the patient whose document
carries another INS is left out."""

from __future__ import annotations

import datetime as dt
import email.policy
import uuid
from email.message import EmailMessage

import pytest
from django.test import Client
from lxml import html

from apps.accounts.models import User
from apps.documents.results import LAB_OBSERVATION
from apps.mail import services
from apps.mail.models import Mailbox
from apps.patients.models import Patient
from mss.ins import TEST_OID
from tests.conftest import IDENTITIES, PSCSim, django_signin, imap_plain

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
KARIM = IDENTITIES["social"]["mailbox"]  # a mailbox no other test counts the documents of
INS, OTHER_INS = "279035121518989", "280017512345610"


def report(*, ins: str, when: dt.date, value: str, flag: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="1.2.250.1.999.1" extension="BIO-{uuid.uuid4().hex[:8]}"/>
  <code code="11502-2" displayName="CR d'examens biologiques" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Compte rendu de biologie</title><effectiveTime value="{when:%Y%m%d}090000+0100"/>
  <recordTarget><patientRole><id root="{TEST_OID}" extension="{ins}"/>
    <patient><name><given>Jeanne</given><family qualifier="BR">DUPONT</family></name>
    <administrativeGenderCode code="F"/><birthTime value="19790328"/></patient></patientRole></recordTarget>
  <component><structuredBody><component><section><code code="18723-7"/><title>Hématologie</title>
    <text>Hémoglobine {value} g/dL</text>
    <entry><observation classCode="OBS" moodCode="EVN"><templateId root="{LAB_OBSERVATION}"/>
      <code code="718-7" displayName="Hémoglobine" codeSystem="2.16.840.1.113883.6.1"/>
      <effectiveTime value="{when:%Y%m%d}0800+0100"/>
      <value xsi:type="PQ" value="{value}" unit="g/dL"/>
      <interpretationCode code="{flag}"/>
      <referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="12" unit="g/dL"/>
        <high value="16" unit="g/dL"/></value></observationRange></referenceRange>
    </observation></entry>
  </section></component></structuredBody></component>
</ClinicalDocument>""".encode()


def deliver(folder: str, cda: bytes) -> None:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"], message["To"] = "labo@hopital.mssante.test", KARIM
    message["Subject"] = "XDM/1.0/DDM+CR d'examens biologiques DUPONT Jeanne 28/03/1979"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@hopital.mssante.test>"
    message.set_content("Compte rendu ci-joint.")
    message.add_attachment(cda, maintype="text", subtype="xml", filename="CR-BIO.xml")
    imap = imap_plain(KARIM)
    try:
        if not imap.folder_exists(folder):
            imap.create_folder(folder)
        imap.append(folder, message.as_bytes())
    finally:
        imap.logout()


def remove_reports(*folders: str) -> None:
    """The reports out of Karim's mailbox again (and the folders made for them)."""
    imap = imap_plain(KARIM)
    try:
        for folder in folders:
            imap.delete_folder(folder)
        imap.select_folder("INBOX")
        uids = imap.search(["SUBJECT", "DUPONT Jeanne 28/03/1979"])
        if uids:
            imap.delete_messages(uids)
            imap.expunge()
    finally:
        imap.logout()


def test_three_reports_make_the_patients_haemoglobin_over_time(client: Client, psc_sim: PSCSim,
                                                               demo_accounts: None) -> None:
    django_signin(client, "social")
    karim = User.objects.get(idnat=IDENTITIES["social"]["idnat"])
    patient = Patient.objects.create(owner=karim, matricule=INS, oid=TEST_OID, birth_name="DUPONT",
                                     given_names="Jeanne", birth_date=dt.date(1979, 3, 28), sex="F")
    folder = f"Biologie-{uuid.uuid4().hex[:6]}"
    deliver("INBOX", report(ins=INS, when=dt.date(2026, 9, 1), value="13.5", flag="N"))
    deliver(folder, report(ins=INS, when=dt.date(2026, 10, 1), value="12.4", flag="N"))
    deliver("INBOX", report(ins=INS, when=dt.date(2026, 11, 2), value="11.1", flag="L"))
    deliver("INBOX", report(ins=OTHER_INS, when=dt.date(2026, 11, 20), value="7.0", flag="LL"))  # not hers
    try:
        box = Mailbox.objects.get(address=KARIM)
        services.mailbox_sync(access=services.MailAccess(
            mailbox=box, token_provider=lambda force: psc_sim.mint("social")))
        page = client.get(f"/patients/{patient.pk}/")
        assert page.status_code == 200
        tree = html.fromstring(page.content.decode())
        (row,) = tree.xpath('//table[contains(@class, "analytes")]/tbody/tr')
        assert "Hémoglobine" in row.text_content() and "result-abnormal" in row.get("class")
        assert "11.1 g/dL" in row.text_content() and "bas" in row.text_content()  # the flag in words
        assert "3 résultats" in row.text_content() and "12 – 16" in row.text_content()
        svg = row.xpath('.//*[local-name()="svg"]')[0]
        assert len(svg.xpath('.//*[local-name()="circle"]')) == 2
        assert len(svg.xpath('.//*[local-name()="rect"][contains(@class, "abnormal")]')) == 1
        assert "7.0" not in row.text_content() and not tree.xpath("//script[contains(., 'analyte')]")
    finally:
        remove_reports(folder)
