"""When the PSC session ends (refresh refused, sign-out), every pooled IMAP connection
opened with that user's tokens is closed, no IMAP command is sent for them afterwards,
the background sync leaves them alone and the folder pane says to sign in again; and no
token rests in clear in the session store. Against the real simulator and Dovecot."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from apps.mail import services
from apps.mail.models import Folder, Mailbox
from apps.mail.services import POOL
from mailproto.imap import wire
from tests.conftest import (
    IDENTITIES,
    PSCSim,
    django_signin,
    expire_access_token,
    imap_connections,
    session_tokens,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every IMAP command the site sends from now on (LOGOUT aside: that is the close)."""
    sent: list[bytes] = []
    real = wire.command

    def spy(connection: Any, command: bytes, *args: Any, **kwargs: Any) -> Any:
        if not command.startswith(b"LOGOUT"):
            sent.append(command)
        return real(connection, command, *args, **kwargs)

    monkeypatch.setattr(wire, "command", spy)
    return sent


@pytest.mark.requirement("ECO.1.2.6")
def test_refused_refresh_closes_pooled_connections_and_stops_sync(
        client: Client, psc_sim: PSCSim, demo_accounts: None, seeded_mail: None,
        commands: list[bytes]) -> None:
    address = IDENTITIES["gp"]["mailbox"]
    django_signin(client, "gp")
    assert client.get("/", follow=True).status_code == 200
    mailbox = Mailbox.objects.get(address=address)
    key = client.session.session_key
    owner = f"user:{client.session['_auth_user_id']}"
    assert owner in POOL.owners()  # the page's connection, kept
    POOL.clear()  # one idle connection per mailbox and process: make room for the worker's
    assert services.mailbox_sync_in_worker(mailbox_id=mailbox.pk, session_key=key) == "done"
    assert f"session:{key}" in POOL.owners()
    assert imap_connections(address) >= 1
    assert (mailbox.pk, key) in services.mailbox_sync_candidates()

    psc_sim.configure(refresh_fails=True)
    expire_access_token(client)
    commands.clear()
    # The worker asks for a token before touching its pooled connection: refused.
    assert services.mailbox_sync_in_worker(mailbox_id=mailbox.pk, session_key=key) == "no-session"
    assert not POOL.owners() & {owner, f"session:{key}"}
    assert imap_connections(address) == 0
    assert commands == []
    # Beat leaves this user alone until they sign in again, and a page sends nothing.
    assert (mailbox.pk, key) not in [c for c in services.mailbox_sync_candidates() if c[1]]
    inbox = Folder.objects.get(mailbox=mailbox, name="INBOX")
    pane = client.get(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/etat/",
                      HTTP_X_MSS_BACKGROUND="1").content.decode()
    assert "Votre session Pro Santé Connect a pris fin" in pane
    assert "Se reconnecter" in pane
    # The list still shows what is indexed, with the same notice; nothing reaches Dovecot.
    page = client.get("/", follow=True)
    assert page.status_code == 200 and "Se reconnecter" in page.content.decode()
    assert commands == []


def test_sign_out_closes_this_users_connections(client: Client, psc_sim: PSCSim,
                                                demo_accounts: None, seeded_mail: None,
                                                commands: list[bytes]) -> None:
    address = IDENTITIES["nurse"]["mailbox"]
    django_signin(client, "nurse")
    client.get("/", follow=True)
    owner = f"user:{client.session['_auth_user_id']}"
    assert owner in POOL.owners()
    commands.clear()
    client.post("/oidc/logout/")
    assert owner not in POOL.owners()
    assert imap_connections(address) == 0
    assert commands == []


@pytest.mark.requirement("ECO.1.2.5")
def test_no_token_in_clear_in_the_session_store(client: Client, psc_sim: PSCSim,
                                                demo_accounts: None, seeded_mail: None) -> None:
    django_signin(client, "pharmacist")
    client.get("/", follow=True)
    expire_access_token(client)
    client.get("/", follow=True)  # a refresh, stored again
    tokens = session_tokens(client)
    assert tokens and tokens.access_token and tokens.refresh_token and tokens.id_token
    rows = list(Session.objects.values_list("session_data", flat=True))
    decoded = [str(s.get_decoded()) for s in Session.objects.all()]
    assert rows
    for token in (tokens.access_token, tokens.refresh_token, tokens.id_token):
        for text in rows + decoded:
            assert token not in text
            if token.count(".") == 2:
                assert token.split(".")[1][:24] not in text  # not even the JWT payload


def test_an_idle_session_stops_the_background_sync_too(client: Client, psc_sim: PSCSim,
                                                       demo_accounts: None, seeded_mail: None,
                                                       commands: list[bytes]) -> None:
    """Nobody asked a page for longer than the idle limit: the middleware would lock the
    session at the next request; the worker must not go on syncing meanwhile."""
    import time

    from apps.accounts.session_keys import SESSION_LAST_SEEN

    django_signin(client, "pharmacist")
    mailbox = Mailbox.objects.get(address=IDENTITIES["pharmacist"]["mailbox"])
    key = client.session.session_key
    assert services.mailbox_sync_in_worker(mailbox_id=mailbox.pk, session_key=key) == "done"
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 2 * 3600 - 60
    session.save()
    commands.clear()
    assert services.mailbox_sync_in_worker(mailbox_id=mailbox.pk, session_key=key) == "no-session"
    assert f"session:{key}" not in POOL.owners() and commands == []
    assert (mailbox.pk, key) not in services.mailbox_sync_candidates()


def test_concurrent_refreshes_of_one_session_do_not_end_it(client: Client, psc_sim: PSCSim,
                                                           demo_accounts: None) -> None:
    """PSC refresh tokens work once. A page, its frame, a poll and a worker finding the
    token due at the same moment used to refresh with the same one: all but the first were
    refused, and the session was declared over (found by bench/load.py)."""
    from importlib import import_module

    from django.conf import settings

    from apps.accounts.services import psc_access_token_get
    from tests.conftest import run_together

    django_signin(client, "nurse")
    expire_access_token(client)
    key = client.session.session_key
    psc_sim.reset()
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def use() -> str:
        session = store(session_key=key)
        token = psc_access_token_get(session=session)
        session.save()
        return token

    results = run_together(use, count=4)
    assert len(results) == 4 and not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1  # one refresh, its token shared
    assert [e["event"] for e in psc_sim.events()].count("refresh") == 1
    assert session_tokens(client).refresh_token


def test_a_refresh_refused_after_another_process_refreshed_keeps_the_session(
        client: Client, psc_sim: PSCSim, demo_accounts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis away, the lock cannot serialise: another process refreshes with the same
    refresh token while this one's request is in flight. This one is refused, finds the
    tokens the other stored, and goes on with them instead of ending the session."""
    import contextlib
    from importlib import import_module

    from django.conf import settings

    from apps.accounts import services as account_services

    @contextlib.contextmanager
    def no_lock(**_: object) -> Any:
        yield True

    monkeypatch.setattr(account_services, "shared_lock", no_lock)
    django_signin(client, "pharmacist")
    expire_access_token(client)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    key = client.session.session_key
    real_post = account_services.psc_token_post
    raced: list[str] = []

    def racing_post(*, data: dict[str, Any]) -> Any:
        if not raced:  # the other process gets there first, with the same refresh token
            raced.append("")
            other = store(session_key=key)
            raced[0] = account_services._refresh(
                session=other, actor="", tokens=account_services.session_tokens_get(session=other))
        return real_post(data=data)

    monkeypatch.setattr(account_services, "psc_token_post", racing_post)
    token = account_services.psc_access_token_get(session=store(session_key=key))
    assert token == raced[0]  # refused, then the other process's token taken
    assert session_tokens(client).refresh_token  # the session goes on
    assert [e["event"] for e in psc_sim.events()].count("refresh") == 1


def test_a_live_session_row_comes_with_the_sign_in_and_goes_with_the_sign_out(client: Client, psc_sim: PSCSim,
                                                                              demo_accounts: None) -> None:
    """Issue 28, through the real PSC simulator: who is signed in is a row, kept by the
    session store, that beat and the watcher read instead of decoding sessions."""
    from apps.accounts.models import LiveSession
    from apps.mail.engine.sync_runs import mailboxes_with_live_session

    django_signin(client, "pharmacist")
    row = LiveSession.objects.get(session_key=client.session.session_key)
    assert row.psc_active and row.user.idnat == IDENTITIES["pharmacist"]["idnat"]
    box = Mailbox.objects.get(address=IDENTITIES["pharmacist"]["mailbox"])
    assert mailboxes_with_live_session()[box.pk] == client.session.session_key
    client.post("/oidc/logout/")
    assert not LiveSession.objects.filter(user=row.user).exists()
    assert box.pk not in mailboxes_with_live_session()
