"""Realistic French demo mail, delivered through the operator's real inbound path.

Messages go through Postfix's inbound SMTP listener and Dovecot LMTP, exactly like mail
from another MSSanté operator; the GP's own replies are appended to her Sent folder over
IMAP. Every message has a fixed Message-ID, so seeding twice delivers nothing new.
All people, patients and structures are fictional (test-range RPPS, INS computed with a
valid key).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime

import imapclient

from devstack import stack

IDS = {i["key"]: i for i in stack.IDENTITIES["identities"]}
PATIENT = stack.IDENTITIES["patients"][0]
PATIENT_ADDRESS = f"{PATIENT['ins']}@{stack.IDENTITIES['patient_domain']}"
LAB = stack.IDENTITIES["application_mailboxes"][0]["address"]


def person(key: str) -> str:
    i = IDS[key]
    return f"{i['given_name']} {i['family_name'].title()} <{i['mailbox']}>"


def minimal_pdf(lines: list[str]) -> bytes:
    """A small valid one-page PDF (Helvetica text), with a correct xref table."""
    from apps.documents.samples import text_pdf

    return text_pdf(lines)


def biology_report(pdf: bytes, when: dt.datetime) -> tuple[bytes, bytes, str]:
    """The laboratory's biology report as a conformant CDA R2 N1 in its IHE_XDM.zip, made by the
    same producer as compose (what the agency's validators accept), with its PDF/A and the
    PDF/A's ECO.2.1.6 name: the demo never contradicts itself (a test INS: X-MSS-INS N)."""
    from apps.documents.produce import (
        DocumentRequest,
        Organisation,
        PatientTraits,
        Professional,
        document_produce,
    )
    from mss.ins import TEST_OID

    lab = IDS["nurse"]["activities"][0]
    request = DocumentRequest(
        pdf=pdf, type_code="11502-2", title="Compte rendu de biologie", date=when, act_date=when,
        source_oid="1.2.250.1.999.1",
        patient=PatientTraits(ins=PATIENT["ins"], ins_oid=TEST_OID, birth_name=PATIENT["family_name"],
                              given_names=(PATIENT["given_name"],), birth_date=dt.date.fromisoformat(
                                  PATIENT["birth_date"]), sex="F", birth_place="69123"),
        author=Professional(idnat="810100987654", given_name="Hélène", family_name="ROCHE", profession_code="10",
                            profession_label="Médecin", expertise_code="SM03", prefix="MME", suffix="DR"),
        organisation=Organisation(name=f"{lab['name']} - Laboratoire de biologie", finess=lab["finess"],
                                  facility_type=lab["sector"], postcode=lab["postcode"], city=lab["city"]))
    produced = document_produce(request)
    return produced.xdm, produced.pdf, produced.pdf_name


NEWSLETTER_HTML = """<!doctype html><html><body style="margin:0;background:#eef2f7">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#eef2f7">
<tr><td align="center" style="padding:24px">
 <table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;font-family:Arial,sans-serif;color:#1e2a3b">
  <tr><td style="padding:24px 32px;background:#003189;color:#ffffff;font-size:20px;font-weight:bold">
   Lettre d'information des professionnels de santé</td></tr>
  <tr><td style="padding:24px 32px;font-size:15px;line-height:1.5">
   <h2 style="color:#003189;font-size:18px">Campagne de vaccination antigrippale 2026-2027</h2>
   <p>La campagne débute le <strong>14 octobre</strong>. Les infirmiers, pharmaciens et sages-femmes
   peuvent vacciner l'ensemble des publics éligibles.</p>
   <img src="https://newsletter.example.org/pixel.gif?id=claire" width="1" height="1" alt="">
   <p><a href="https://sante.example.org/grippe" style="color:#003189">Consulter les recommandations</a></p>
   <table width="100%" style="border-collapse:collapse;font-size:14px">
    <tr><th style="text-align:left;border-bottom:1px solid #ccd">Public</th><th style="text-align:left;border-bottom:1px solid #ccd">Prise en charge</th></tr>
    <tr><td>65 ans et plus</td><td>100 %</td></tr>
    <tr><td>Femmes enceintes</td><td>100 %</td></tr>
   </table>
  </td></tr>
 </table>
</td></tr></table></body></html>"""


@dataclass
class Seed:
    message_id: str
    sender: str
    to: list[str]
    subject: str
    body: str
    days_ago: float
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    html: str | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    append_to_sent_of: str | None = None  # the sender's own copy, appended over IMAP


def demo_messages(now: dt.datetime) -> list[Seed]:
    gp = IDS["gp"]["mailbox"]
    mid = "@demo.mssante-web"
    report_pdf = minimal_pdf([
        "Centre hospitalier de Villefranche - Laboratoire de biologie",
        f"Patiente : {PATIENT['family_name']} {PATIENT['given_name']} - née le 17/01/1980",
        "INR : 2,6 (zone thérapeutique 2-3)", "Hémoglobine : 12,9 g/dL", "CRP : 4 mg/L",
        "Document de démonstration - données fictives"])
    xdm, report_pdfa, report_name = biology_report(report_pdf, now - dt.timedelta(hours=2))
    prescription = minimal_pdf(["Ordonnance - M. Pierre GARNIER", "Fluindione 20 mg : 1 cp le soir",
                                "Amoxicilline 1 g : 1 cp matin et soir pendant 7 jours",
                                "Document de démonstration - données fictives"])
    return [
        Seed(f"<sortie-dupont-1{mid}>", person("nurse"), [gp],
             "Sortie de Mme Jeanne Dupont – transmissions infirmières",
             "Bonjour Docteur,\n\nMme Jeanne Dupont (née le 17/01/1980) sort du service de médecine "
             "interne demain matin. Pansement de la cicatrice à refaire tous les deux jours par "
             "l'IDE libérale, INR de contrôle dans 5 jours.\n\nPouvez-vous la revoir en "
             "consultation la semaine prochaine ?\n\nBien cordialement,\nJulien Petit\nIDE – "
             "Médecine interne, CH de Villefranche\n", 3.2),
        Seed(f"<sortie-dupont-2{mid}>", person("gp"), [IDS["nurse"]["mailbox"]],
             "Re: Sortie de Mme Jeanne Dupont – transmissions infirmières",
             "Bonjour,\n\nMerci pour ces transmissions. Je la vois mardi à 10 h ; pouvez-vous me "
             "transmettre le dernier bilan biologique ?\n\nDr Claire Martin\n", 3.0,
             in_reply_to=f"<sortie-dupont-1{mid}>", references=[f"<sortie-dupont-1{mid}>"],
             append_to_sent_of=gp),
        Seed(f"<sortie-dupont-3{mid}>", person("nurse"), [gp],
             "Re: Sortie de Mme Jeanne Dupont – transmissions infirmières",
             "Bonjour Docteur,\n\nLe laboratoire vous adresse le compte rendu directement par "
             "MSSanté. L'IDE libérale passera jeudi.\n\nJulien Petit\n", 2.1,
             in_reply_to=f"<sortie-dupont-2{mid}>",
             references=[f"<sortie-dupont-1{mid}>", f"<sortie-dupont-2{mid}>"]),
        Seed(f"<crbio-dupont{mid}>", f"Laboratoire – CH de Villefranche <{LAB}>", [gp],
             f"XDM/1.0/DDM+Compte rendu de biologie {PATIENT['family_name']} "
             f"{PATIENT['given_name']} 17/01/1980",
             "Veuillez trouver ci-joint le compte rendu de biologie de votre patiente.\n"
             "Ce message a été émis automatiquement par le système de gestion du laboratoire.\n",
             0.08, attachments=[("IHE_XDM.zip", "application/zip", xdm),
                                (report_name, "application/pdf", report_pdfa)],
             headers={"X-MSS-CODECDA": "11502-2", "X-MSS-INS": "N"}),
        Seed(f"<garnier-avk{mid}>", person("pharmacist"), [gp],
             "Ordonnance de M. Garnier – interaction fluindione / amoxicilline",
             "Bonjour Docteur,\n\nM. Pierre Garnier présente ce jour une ordonnance associant "
             "fluindione et amoxicilline. L'association peut majorer l'effet anticoagulant : "
             "souhaitez-vous un contrôle de l'INR en fin de traitement ?\n\nJe vous joins "
             "l'ordonnance scannée.\n\nSophie Bernard\nPharmacie du Marché, Lyon 2e\n", 0.9,
             attachments=[("ordonnance-garnier.pdf", "application/pdf", prescription)]),
        Seed(f"<garnier-apa{mid}>", person("social"), [gp],
             "M. Garnier – demande d'APA et retour à domicile",
             "Bonjour Docteur,\n\nJe suis l'assistant de service social du CCAS de Villeurbanne "
             "qui accompagne M. Garnier. Pour finaliser sa demande d'allocation personnalisée "
             "d'autonomie, pourriez-vous me confirmer qu'un certificat médical récent a été "
             "adressé au département ?\n\nCordialement,\nKarim Haddad\n", 4.3),
        Seed(f"<roux-chute{mid}>", person("educator"), [gp],
             "Mme Roux (résidente) – chute ce matin, sans perte de connaissance",
             "Bonjour Docteur,\n\nMme Roux a chuté ce matin vers 7 h dans sa chambre. Pas de perte "
             "de connaissance, douleur à la hanche droite à 3/10, elle marche avec son "
             "déambulateur. L'infirmière de l'EHPAD l'a examinée. Pouvez-vous passer la voir "
             "lors de votre tournée ?\n\nLéa Moreau\nÉducatrice spécialisée – EHPAD Les "
             "Glycines, Bron\n", 0.02),
        Seed(f"<lettre-grippe{mid}>", "ARS – Lettre d'information <lettre-info@ars.mssante.test>",
             [gp], "Lettre d'information – campagne de vaccination antigrippale",
             "Campagne de vaccination antigrippale 2026-2027 : début le 14 octobre.\n"
             "Consulter les recommandations : https://sante.example.org/grippe\n", 1.6,
             html=NEWSLETTER_HTML),
        Seed(f"<patient-question{mid}>",
             f"{PATIENT['given_name']} {PATIENT['family_name'].title()} <{PATIENT_ADDRESS}>", [gp],
             "Question sur mon traitement après ma sortie",
             "Bonjour Docteur,\n\nDepuis ma sortie je prends le nouveau traitement le soir. "
             "Dois-je continuer l'ancien comprimé du matin ?\n\nMerci beaucoup,\nJeanne Dupont\n",
             0.5),
        Seed(f"<bienvenue-nurse{mid}>", person("gp"), [IDS["nurse"]["mailbox"]],
             "Consultation de Mme Dupont – compte rendu",
             "Bonjour,\n\nJ'ai vu Mme Dupont ce matin : cicatrisation satisfaisante.\n\n"
             "Dr Claire Martin\n", 0.3),
        Seed(f"<pharma-stock{mid}>", person("nurse"), [IDS["pharmacist"]["mailbox"]],
             "Disponibilité d'un antibiotique pour une sortie d'hospitalisation",
             "Bonjour,\n\nAvez-vous de l'amoxicilline-acide clavulanique en stock pour un patient "
             "qui sort ce soir ?\n\nJulien Petit\n", 0.4),
        Seed(f"<social-rdv{mid}>", person("educator"), [IDS["social"]["mailbox"]],
             "Réunion de coordination – Mme Roux",
             "Bonjour Karim,\n\nPouvons-nous prévoir une réunion de coordination jeudi à 14 h au "
             "sujet de Mme Roux ?\n\nLéa\n", 1.2),
        Seed(f"<ehpad-visite{mid}>", person("gp"), [IDS["educator"]["mailbox"]],
             "Re: Mme Roux (résidente) – chute ce matin",
             "Bonjour,\n\nJe passe à 17 h.\n\nDr Claire Martin\n", 0.01),
        Seed(f"<admin-bal{mid}>", person("nurse"), [IDS["admin"]["mailbox"]],
             "Demande d'accès à la boîte organisationnelle du service",
             "Bonjour,\n\nPouvez-vous m'ouvrir l'accès à la boîte organisationnelle de médecine "
             "interne ?\n\nJulien Petit\n", 0.7),
        Seed(f"<lab-demande{mid}>", person("gp"), [LAB],
             "Demande de bilan – Mme Dupont",
             "Merci de transmettre le compte rendu par MSSanté.\n", 0.2),
    ]


def build(seed: Seed, now: dt.datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = seed.sender
    msg["To"] = ", ".join(seed.to)
    msg["Subject"] = seed.subject
    msg["Date"] = format_datetime(now - dt.timedelta(days=seed.days_ago))
    msg["Message-ID"] = seed.message_id
    msg["X-MSS-NIL"] = "mssante-web-demo"
    if seed.in_reply_to:
        msg["In-Reply-To"] = seed.in_reply_to
        msg["References"] = " ".join(seed.references)
    for name, value in seed.headers.items():
        msg[name] = value
    msg.set_content(seed.body)
    if seed.html:
        msg.add_alternative(seed.html, subtype="html")
    for filename, mime, data in seed.attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _imap(profile: str, user: str) -> imapclient.IMAPClient:
    ports = stack.PROFILES[profile]
    context = ssl.create_default_context(cafile=str(stack.state_dir(profile) / "tls" / "ca.pem"))
    client = imapclient.IMAPClient("127.0.0.1", ports.imaps, ssl=True, ssl_context=context)
    client.plain_login(user, stack.DEV_PASSWORD)
    return client


def _has_message(client: imapclient.IMAPClient, folder: str, message_id: str) -> bool:
    client.select_folder(folder, readonly=True)
    return bool(client.search(["HEADER", "Message-ID", message_id]))


def seed(profile: str, now: dt.datetime | None = None, wait: float = 20.0) -> int:
    """Deliver every demo message not yet present; returns how many were delivered."""
    now = now or dt.datetime.now(dt.UTC)
    ports = stack.PROFILES[profile]
    delivered = 0
    pending: list[tuple[str, str]] = []
    with smtplib.SMTP("127.0.0.1", ports.smtp_in, timeout=10) as smtp:
        for item in demo_messages(now):
            message = build(item, now)
            for rcpt in item.to:
                client = _imap(profile, rcpt)
                try:
                    present = _has_message(client, "INBOX", item.message_id)
                finally:
                    client.logout()
                if not present:
                    smtp.send_message(message, from_addr=message["From"].addresses[0].addr_spec,
                                      to_addrs=[rcpt])
                    pending.append((rcpt, item.message_id))
                    delivered += 1
            if item.append_to_sent_of:
                client = _imap(profile, item.append_to_sent_of)
                try:
                    if not _has_message(client, "Sent", item.message_id):
                        client.append("Sent", message.as_bytes(), flags=[b"\\Seen"],
                                      msg_time=now - dt.timedelta(days=item.days_ago))
                finally:
                    client.logout()
    # LMTP delivery is asynchronous: wait until every message is in its INBOX.
    deadline = time.monotonic() + wait
    for rcpt, message_id in pending:
        client = _imap(profile, rcpt)
        try:
            while not _has_message(client, "INBOX", message_id):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{message_id} not delivered to {rcpt}")
                time.sleep(0.1)
        finally:
            client.logout()
    return delivered
