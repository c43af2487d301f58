"""Bulk mailboxes for benchmarks: realistic French messages written straight into Maildir.

Delivering 100,000 messages through LMTP takes about 12 minutes (~135 msg/s); writing
Maildir files directly runs at several thousand per second. Behaviour tests use the real
SMTP/LMTP path; only benchmark volumes come from here. Deterministic for a given seed.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import random
import shutil
import time
from email.header import Header
from email.utils import format_datetime
from pathlib import Path

from devstack import stack

FIRST = ["Claire", "Julien", "Sophie", "Karim", "Léa", "Marc", "Hélène", "François", "Zoé",
         "Amélie", "Benoît", "Chloé", "Étienne", "Inès", "Noël", "Océane"]
LAST = ["Martin", "Petit", "Bernard", "Haddad", "Moreau", "Lefèvre", "Dubois", "Garnier",
        "Roux", "Fournier", "Girard", "Bonnet", "Mercier", "Lambert", "Faure", "André"]
DOMAINS = ["medecin.mssante.test", "hopital.mssante.test", "pharmacie.mssante.test",
           "ehpad.mssante.test", "social.mssante.test", "ch-lyon.mssante.fr"]
SUBJECTS = ["Compte rendu de consultation", "Sortie d'hospitalisation", "Résultats de biologie",
            "Demande d'avis", "Ordonnance à renouveler", "Réunion de concertation",
            "Transmission infirmière", "Lettre de liaison", "Bilan gériatrique",
            "Demande de prise en charge", "Certificat médical", "Suivi post-opératoire"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Realistic bodies (bench/web.py's body search): French clinical prose, 2-30 KB.
VOCABULARY = (  # noqa: SIM905 - a paragraph of words reads better than 150 strings
    "patient patiente consultation examen clinique antécédents traitement posologie ordonnance "
    "biologie hémoglobine créatinine glycémie kaliémie natrémie bilan hépatique rénal cardiaque "
    "tension artérielle fréquence saturation oxygène dyspnée douleur thoracique abdominale fièvre "
    "toux asthénie amaigrissement vomissements diarrhée constipation céphalées vertiges chute "
    "hospitalisation service urgences médecine interne gériatrie cardiologie pneumologie "
    "néphrologie chirurgie orthopédique rééducation kinésithérapie infirmier infirmière soins "
    "pansement plaie cicatrisation escarre anticoagulant antibiotique amoxicilline paracétamol "
    "insuline metformine diurétique bêtabloquant statine allergie pénicilline vaccination "
    "radiographie scanner échographie IRM électrocardiogramme prise en charge retour domicile "
    "suivi rendez-vous semaine mois contrôle surveillance famille aidant EHPAD autonomie "
    "nutrition poids appétit sommeil humeur anxiété troubles cognitifs mémoire orientation "
    "le la les un une des du de et à au aux pour avec sans sur dans par chez est sont a ont "
    "été sera il elle nous vous qui que dont mais donc ainsi également cependant toutefois "
    "bien cordialement confraternellement merci docteur madame monsieur cher chère collègue").split()


def _paragraphs(rng: random.Random, count: int = 400) -> list[str]:
    out = []
    for _ in range(count):
        sentences = []
        for _ in range(rng.randint(3, 7)):
            words = rng.choices(VOCABULARY, k=rng.randint(8, 20))
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


def realistic_text(rng: random.Random, number: int, pool: list[str]) -> bytes:
    """2 to 30 KB of French clinical prose, with "dossier<number>" (one message each) and,
    in one message in a thousand, "zygomatique" (a rare word for the search bench)."""
    target = rng.randint(2_000, 30_000)
    parts = ["Bonjour,", f"Concernant le dossier{number} :"]
    size = 40
    while size < target:
        paragraph = rng.choice(pool)
        parts.append(paragraph)
        size += len(paragraph) + 4
    if number % 1000 == 7:
        parts.append("Fracture zygomatique à revoir en consultation.")
    parts.append("Bien cordialement.")
    return "\r\n\r\n".join(parts).encode()


def _address(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{first}.{last}".lower().translate(str.maketrans("éèêëïôç", "eeeeioc"))
    return f"{first} {last.upper()}", f"{local}@{rng.choice(DOMAINS)}"


def message_bytes(rng: random.Random, number: int, when: dt.datetime,
                  pool: list[str] | None = None) -> bytes:
    name, address = _address(rng)
    to_name, to_address = _address(rng)
    subject = f"{rng.choice(SUBJECTS)} – patient n° {rng.randint(1000, 9999)}"
    if number % 5 == 0:
        subject = "Re: " + subject
    headers = [
        f"From: {Header(name, 'utf-8').encode()} <{address}>",
        f"To: {Header(to_name, 'utf-8').encode()} <{to_address}>",
        f"Subject: {Header(subject, 'utf-8').encode()}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: <bench-{number}@mssante-web.bench>",
        "MIME-Version: 1.0",
        "X-MSS-NIL: bench",
    ]
    if number % 5 == 0 and number > 0:
        headers.append(f"In-Reply-To: <bench-{number - 1}@mssante-web.bench>")
        headers.append(f"References: <bench-{number - 1}@mssante-web.bench>")
    text = realistic_text(rng, number, pool) if pool else (
        "Bonjour,\r\n\r\nVeuillez trouver les éléments concernant le patient.\r\n"
        "Bien cordialement.\r\n").encode()
    kind = number % 10
    if kind in (3, 7):
        boundary = f"b{number}"
        attachment = "IHE_XDM.zip" if kind == 7 else "compte-rendu.pdf"
        mime = "application/zip" if kind == 7 else "application/pdf"
        headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        body = (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + text + (
                f"\r\n--{boundary}\r\nContent-Type: {mime}; name=\"{attachment}\"\r\n"
                f"Content-Disposition: attachment; filename=\"{attachment}\"\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + \
            base64.encodebytes(PDF) + f"\r\n--{boundary}--\r\n".encode()
    else:
        headers.append("Content-Type: text/plain; charset=utf-8")
        headers.append("Content-Transfer-Encoding: 8bit")
        body = text
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body


def fill(profile: str, address: str, count: int, seed: int = 1, realistic: bool = False) -> Path:
    """Replace the mailbox's INBOX with ``count`` messages (about a third unread); with
    ``realistic`` bodies of 2-30 KB instead of three lines."""
    local, domain = address.split("@")
    home = stack.state_dir(profile) / "mail" / domain / local
    if home.exists():
        shutil.rmtree(home)
    cur = home / "Maildir" / "cur"
    for sub in ("cur", "new", "tmp"):
        (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool = _paragraphs(random.Random(seed + 1)) if realistic else None
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    now = time.time()
    for number in range(count):
        when = start + dt.timedelta(minutes=7 * number)
        data = message_bytes(rng, number, when, pool)
        flags = "S" if rng.random() < 0.66 else ""
        if rng.random() < 0.05:
            flags = "F" + flags
        vsize = len(data) + data.count(b"\n") - data.count(b"\r\n")
        name = f"{int(now)}.M{number}P{os.getpid()}.bench,S={len(data)},W={vsize}:2,{flags}"
        path = cur / name
        path.write_bytes(data)
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))
    for path in [home, *home.rglob("*")]:
        os.chown(path, 8, 8)
    return home


def make_cold(profile: str, address: str) -> None:
    """Forget Dovecot's indexes and caches of the mailbox, keeping its messages: the next
    session finds it as after ``fill``, so that a benchmark can measure cold runs again
    without rewriting every file. No session may have the mailbox open."""
    local, domain = address.split("@")
    maildir = stack.state_dir(profile) / "mail" / domain / local / "Maildir"
    for path in maildir.iterdir():
        if path.name.startswith("dovecot"):
            path.unlink()
