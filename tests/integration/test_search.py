"""Search: on the index (sender, recipients, subject, attachment, patient, dates) and in
the message texts through IMAP SEARCH, merged on one page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PSCSim, django_signin

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def search(client: Client, **params: str) -> str:
    client.get("/", follow=True)
    from apps.mail.models import Mailbox

    box = Mailbox.objects.get(address="claire.martin@medecin.mssante.test")
    return client.get(f"/bal/{box.pk}/recherche/", params).content.decode()


def titles(page: str) -> list[str]:
    return [chunk.split(">", 1)[1].split("<", 1)[0] for chunk in page.split('<a class="open"')[1:]]


def test_index_search_and_filters(client: Client, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None) -> None:
    django_signin(client, "gp")
    assert any("Ordonnance de M. Garnier" in t for t in titles(search(client, q="bernard")))  # sender name
    assert any("Garnier" in t for t in titles(search(client, q="garnier apa")))  # two words, subject
    with_files = titles(search(client, q="", pj="1"))
    assert with_files and all(("Ordonnance" in t or "biologie" in t) for t in with_files)
    patients = titles(search(client, patient="1"))
    assert patients == ["Question sur mon traitement après ma sortie"]
    assert titles(search(client, q="bernard", du="2999-01-01")) == []
    assert "0 résultat" in search(client, q="zzzintrouvable")


def test_body_search_through_imap_is_merged(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                            seeded_mail: None) -> None:
    django_signin(client, "gp")
    assert titles(search(client, q="comprimé")) == []  # only in the body: the index cannot see it
    found = titles(search(client, q="comprimé", corps="1"))
    assert "Question sur mon traitement après ma sortie" in found
