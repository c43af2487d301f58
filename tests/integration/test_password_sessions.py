"""A staff password sign-in reaches the admin and nothing else, under the same idle and
absolute limits as a PSC session (issue 15: "Sessions")."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from apps.accounts.session_keys import SESSION_LAST_SEEN, SESSION_PASSWORD_SIGNED_IN_AT
from tests.conftest import PSCSim, django_signin

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def operator(client: Client) -> Client:
    get_user_model().objects.create_superuser("ops", "ops@example.test", "mot-de-passe-solide-42")
    response = client.post("/admin/login/", {"username": "ops", "password": "mot-de-passe-solide-42",
                                             "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    return client


def test_a_password_sign_in_opens_the_admin_not_the_webmail(operator: Client) -> None:
    assert operator.get("/admin/").status_code == 200
    for path in ("/", "/ecrire/", "/profil/", "/annuaire/", "/parametres/"):
        response = operator.get(path)
        assert response.status_code == 302 and response["Location"] == "/connexion/?raison=psc", path
    page = operator.get("/connexion/?raison=psc").content.decode()
    assert "Pro Santé Connect uniquement" in page  # said in French, no redirect loop
    assert operator.session.get(SESSION_PASSWORD_SIGNED_IN_AT)


@pytest.mark.parametrize(("shift", "reason"), [("idle", "inactivite"), ("age", "expiree")])
def test_the_idle_and_absolute_limits_apply_to_password_sessions(operator: Client, shift: str,
                                                                 reason: str) -> None:
    session = operator.session
    if shift == "idle":
        session[SESSION_LAST_SEEN] = time.time() - 3 * 3600
    else:
        session[SESSION_PASSWORD_SIGNED_IN_AT] = time.time() - 5 * 3600
        session[SESSION_LAST_SEEN] = time.time()
    session.save()
    response = operator.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(f"/admin/login/?raison={reason}")
    assert "_auth_user_id" not in operator.session  # signed out


def test_a_psc_sign_in_still_reaches_the_webmail(client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    django_signin(client, "gp")
    assert client.get("/profil/").status_code == 200
    with override_settings(MSSANTE_IDLE_TIMEOUT=7200):
        assert client.get("/", follow=True).status_code == 200
