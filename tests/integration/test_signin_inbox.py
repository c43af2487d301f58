"""The vertical slice: PSC sign-in through the simulator, then the INBOX over XOAUTH2."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from apps.accounts.models import User
from tests.conftest import IDENTITIES, PSCSim, django_signin, expire_access_token, session_tokens

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.mark.requirement("ECO.1.2.1")
def test_gp_signs_in_and_sees_the_seeded_inbox(client: Client, psc_sim: PSCSim,
                                               demo_accounts: None, seeded_mail: None) -> None:
    callback = django_signin(client, "gp")
    assert callback.status_code == 302 and callback["Location"] == "/"
    inbox = client.get("/", follow=True)
    assert inbox.status_code == 200
    assert inbox.redirect_chain[-1][0].startswith("/bal/")
    page = inbox.content.decode()
    assert "Question sur mon traitement après ma sortie" in page
    assert "Sortie de Mme Jeanne Dupont" in page
    assert IDENTITIES["gp"]["mailbox"] in page
    assert inbox["Cache-Control"] == "no-store"
    user = User.objects.get(idnat=IDENTITIES["gp"]["idnat"])
    assert (user.first_name, user.last_name) == ("Claire", "MARTIN")
    assert not user.has_usable_password()


def test_first_sign_in_creates_the_user_from_psc_claims(client: Client, psc_sim: PSCSim) -> None:
    django_signin(client, "educator")
    user = User.objects.get(idnat=IDENTITIES["educator"]["idnat"])
    assert user.first_name == "Léa" and user.username == user.idnat
    page = client.get("/", follow=True).content.decode()
    assert "Aucune boîte aux lettres MSSanté" in page  # no mailbox linked yet: said in French


def test_userinfo_as_signed_jwt_is_accepted(client: Client, psc_sim: PSCSim) -> None:
    psc_sim.configure(userinfo_format="jwt")
    assert django_signin(client, "pharmacist")["Location"] == "/"
    assert User.objects.filter(idnat=IDENTITIES["pharmacist"]["idnat"]).exists()


@pytest.mark.parametrize("change", [{"id_token_nonce": "wrong"}, {"id_token_aud": "other-client"},
                                    {"acr": "eidas0"}, {"sign_with": "foreign"}])
def test_untrustworthy_id_tokens_are_refused(client: Client, psc_sim: PSCSim, change: dict) -> None:
    psc_sim.configure(**change)
    try:
        response = django_signin(client, "gp")
    except Exception as exc:  # noqa: BLE001 - Django's test client re-raises view errors
        pytest.fail(f"sign-in with {change} raised {exc!r} instead of refusing cleanly")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/erreur/"
    assert "_auth_user_id" not in client.session


def test_cancelled_sign_in_shows_a_french_error(client: Client, psc_sim: PSCSim) -> None:
    response = django_signin(client, "gp", action="cancel")
    assert response["Location"] == "/connexion/erreur/"
    page = client.get("/connexion/erreur/").content.decode()
    assert "La connexion n'a pas abouti" in page
    assert "Vous avez annulé la connexion sur Pro Santé Connect" in page


@pytest.mark.requirement("ECO.1.2.7")
def test_expired_access_token_is_refreshed_before_imap(client: Client, psc_sim: PSCSim,
                                                       demo_accounts: None, seeded_mail: None) -> None:
    django_signin(client, "gp")
    old = session_tokens(client).access_token
    expire_access_token(client)
    assert client.get("/", follow=True).status_code == 200
    assert session_tokens(client).access_token != old
    assert any(e["event"] == "refresh" for e in psc_sim.events())


@pytest.mark.requirement("ECO.1.2.6")
def test_refresh_failure_ends_mail_access_with_a_clear_message(
        client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    django_signin(client, "gp")
    expire_access_token(client)
    psc_sim.configure(refresh_fails=True)
    response = client.get("/")
    assert response.status_code == 401
    assert "Votre session Pro Santé Connect a pris fin" in response.content.decode()


def test_logout_goes_through_psc_end_session(client: Client, psc_sim: PSCSim) -> None:
    django_signin(client, "nurse")
    id_token = session_tokens(client).id_token
    response = client.post("/oidc/logout/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(psc_sim.admin.replace("/_sim", "/auth/realms/esante-wallet"))
    assert f"id_token_hint={id_token}" in location
    assert "post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2Fdeconnexion%2Fterminee%2F" in location
    assert "state=" in location
    assert "_auth_user_id" not in client.session


@pytest.mark.requirement("ECO.1.2.5")
def test_no_token_value_reaches_the_logs(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                         seeded_mail: None, caplog: pytest.LogCaptureFixture) -> None:
    from apps.core.logging import RedactSecretsFilter

    caplog.handler.addFilter(RedactSecretsFilter())
    caplog.set_level(logging.DEBUG)
    django_signin(client, "gp")
    found = session_tokens(client)
    tokens = [found.access_token, found.id_token, found.refresh_token]
    logging.getLogger("apps.test").warning("token leaked? %s", tokens[0])
    client.get("/", follow=True)
    client.post("/oidc/logout/")
    text = caplog.text
    assert "[jeton masqué]" in text
    for token in tokens:
        assert token not in text
