"""Synthetic Annuaire Santé extractions in the exact real format (header + 31 columns).

For the demo directory, the tests and the 535,000-row benchmark: fictional people with
test-range RPPS, French names with accents, real profession codes and labels, mailboxes on
the devstack's domains. Deterministic for a seed; ``changed`` alters that share of rows
(for the re-import benchmark) without changing their addresses.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from apps.accounts.professions import PROFESSIONS
from apps.trust.annuaire import COLUMNS
from devstack import stack

GIVEN = ["Claire", "Julien", "Sophie", "Karim", "Léa", "Marc", "Hélène", "François", "Zoé", "Amélie",
         "Benoît", "Chloé", "Étienne", "Inès", "Noël", "Océane", "Jérôme", "Anaïs", "Grégoire",
         "Maëlle", "Loïc", "Agnès", "Rémi", "Céline", "Thérèse", "Yannick", "Fatima", "Mehdi"]
FAMILY = ["Martin", "Petit", "Bernard", "Haddad", "Moreau", "Lefèvre", "Dubois", "Garnier", "Roux",
          "Fournier", "Girard", "Bonnet", "Mercier", "Lambert", "Faure", "André", "Rousseau",
          "Gauthier", "Chevalier", "Lemaître", "Guérin", "Boyer", "Müller", "N'Diaye", "Da Silva",
          "Le Gall", "De La Fontaine", "Benoît", "Prévost", "Hébert"]
CITIES = [("69003", "LYON"), ("69100", "VILLEURBANNE"), ("69500", "BRON"), ("75009", "PARIS"),
          ("13005", "MARSEILLE"), ("31000", "TOULOUSE"), ("33000", "BORDEAUX"),
          ("44000", "NANTES"), ("59000", "LILLE"), ("67000", "STRASBOURG"),
          ("35000", "RENNES"), ("06000", "NICE"), ("2A004", "AJACCIO"), ("97400", "SAINT-DENIS"),
          ("38000", "GRENOBLE"), ("21000", "DIJON"), ("29200", "BREST"), ("63000", "CLERMONT-FERRAND")]
DOMAINS = ["medecin.mssante.test", "hopital.mssante.test", "pharmacie.mssante.test",
           "social.mssante.test", "ehpad.mssante.test", "chu-exemple.mssante.fr",
           "cabinet-demo.mssante.fr", "ehpad-demo.mssante.fr"]
STRUCTURES = ["Cabinet médical", "Centre hospitalier", "Pharmacie", "EHPAD", "CCAS",
              "Maison de santé", "Clinique", "Centre de santé", "Laboratoire"]


def _luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _row(rng: random.Random, number: int, variant: int = 0) -> list[str]:
    postcode, city = rng.choice(CITIES)
    structure = f"{rng.choice(STRUCTURES)} {rng.choice(FAMILY)}"
    if rng.random() < 0.15:  # an organisational mailbox
        service = rng.choice(["Cardiologie", "Urgences", "Secrétariat", "Pédiatrie", "Gériatrie"])
        address = f"{_ascii(service).lower()}.{number}@{rng.choice(DOMAINS)}"
        return ["ORG", address, "", "", "", "FINESS", f"{number:09d}", service, "", "", "", "",
                "", "", "", "", "", "False", structure.upper(), "", "", "", "", "", "", "", "",
                f"{postcode} {city}", postcode, postcode[:2], ""]
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    code = rng.choice(list(PROFESSIONS))
    body = f"997{number:08d}"
    rpps = body + _luhn_digit(body)
    local = _ascii(f"{given}.{family}").lower().replace(" ", "-").replace("'", "")
    address = f"{local}.{number}@{rng.choice(DOMAINS)}"
    street = f"{rng.randint(1, 120)} rue {rng.choice(FAMILY)}" + (" bis" if variant else "")
    return ["PER", address, "8", rpps, "8" + rpps, "", "", "", rng.choice(["DR", "M", "MME"]),
            family.upper(), given, "C", "Civil", code, PROFESSIONS[code].label, "", "", "True",
            structure.upper(), "", "", "", street, "", "", "", "", f"{postcode} {city}",
            postcode, postcode[:2], ""]


def identity_rows() -> Iterator[list[str]]:
    """The devstack's demo identities, so that the directory finds them."""
    for number, i in enumerate(stack.IDENTITIES["identities"]):
        activity = i["activities"][0]
        label = PROFESSIONS[i["profession_code"]].label
        yield ["PER", i["mailbox"], "8", i["idnat"][1:], i["idnat"], "", "", "",
               i["exercise_civility"], i["family_name"], i["given_name"], "C", "Civil",
               i["profession_code"], label, "", "", "True", activity["name"], "", "", "",
               str(10 + number), "", "R", "de la République", "",
               f"{activity['postcode']} {activity['city']}", activity["postcode"],
               activity["postcode"][:2], ""]


def shared_mailbox_rows() -> Iterator[list[str]]:
    """The devstack's organisational mailboxes, under their structure's FINESS: what a
    structure's administrators are offered."""
    sites = {a["finess"]: a for i in stack.IDENTITIES["identities"] for a in i["activities"] if a["finess"]}
    for mailbox in stack.IDENTITIES["shared_mailboxes"]:
        site = sites[mailbox["structure_finess"]]
        yield ["ORG", mailbox["address"], "", "", "", "FINESS", mailbox["structure_finess"],
               mailbox["service"], "", "", "", "", "", "", "", "", "", "True", site["name"],
               "", "", "", "", "", "", "", "",
               f"{site['postcode']} {site['city']}", site["postcode"], site["postcode"][:2], ""]


def write(path: Path, rows: int, *, seed: int = 7, changed: float = 0.0,
          with_identities: bool = True) -> Path:
    rng = random.Random(seed)
    change = random.Random(seed + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("|".join(COLUMNS) + "\n")
        if with_identities:
            for row in [*identity_rows(), *shared_mailbox_rows()]:
                out.write("|".join(row) + "\n")
        for number in range(rows):
            # Same draws either way, so a variant row differs only by its street.
            variant = 1 if changed and change.random() < changed else 0
            out.write("|".join(_row(rng, number, variant)) + "\n")
    return path
