"""Who is signed in, as data (issue 28): the session store keeps a ``LiveSession`` row at
sign-in, follows a refresh (and a refused one), drops it at sign-out, when a key is cycled
and at the purge; the watch set read from it leaves out expired sessions, deactivated users
and revoked delegations, and decodes no session row."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import LiveSession, User
from apps.accounts.services import session_purge
from apps.accounts.sessions import SessionStore
from apps.accounts.tokens import PSCTokens, session_tokens_clear, session_tokens_set
from apps.mail.engine.sync_runs import mailboxes_with_live_session
from apps.mail.models import Delegation, Mailbox

pytestmark = pytest.mark.django_db


def signed_in(user: User, *, refresh: str = "r") -> SessionStore:
    """What a PSC sign-in leaves in the store: the user, the tokens, saved."""
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session_tokens_set(session=session, tokens=PSCTokens("a", refresh, "i", time.time() + 120))
    session.save()
    return session


def person(idnat: str) -> User:
    return User.objects.create(username=idnat, idnat=idnat)


def test_the_row_follows_the_session_from_sign_in_to_sign_out() -> None:
    claire = person("899700000001")
    session = signed_in(claire)
    row = LiveSession.objects.get(session_key=session.session_key)
    assert (row.user_id, row.psc_active) == (claire.pk, True)
    assert abs(row.expires_at - session.get_expiry_date()) < dt.timedelta(minutes=1)

    with CaptureQueriesContext(connection) as queries:  # saved again within the minute: no write
        session["psc_last_seen"] = time.time()
        session.save()
    assert not any("accounts_livesession" in q["sql"] for q in queries.captured_queries)

    session_tokens_clear(session=session)  # the refresh refused: no mail for this session
    session.save()
    assert LiveSession.objects.get(session_key=session.session_key).psc_active is False

    old = session.session_key
    session.cycle_key()  # a sign-in on a session that had one
    assert not LiveSession.objects.filter(session_key=old).exists()
    assert LiveSession.objects.filter(session_key=session.session_key, user=claire).exists()

    session.flush()  # sign-out
    assert not LiveSession.objects.filter(user=claire).exists()


def test_the_purge_takes_expired_rows() -> None:
    session = signed_in(person("899700000002"))
    past = timezone.now() - dt.timedelta(minutes=5)
    Session.objects.filter(session_key=session.session_key).update(expire_date=past)
    LiveSession.objects.filter(session_key=session.session_key).update(expires_at=past)
    session_purge()
    assert not LiveSession.objects.exists()


def test_the_watch_set_leaves_out_the_expired_the_deactivated_and_the_revoked() -> None:
    claire, julien, lea = person("899700000003"), person("899700000004"), person("899700000005")
    mine = Mailbox.objects.create(address="claire@medecin.mssante.test", owner=claire)
    shared = Mailbox.objects.create(address="secretariat@medecin.mssante.test", owner=claire)
    julien_box = Mailbox.objects.create(address="julien@hopital.mssante.test", owner=julien)
    lea_box = Mailbox.objects.create(address="lea@ehpad.mssante.test", owner=lea)
    delegation = Delegation.objects.create(mailbox=shared, user=julien, rights=Delegation.Rights.READ)
    Mailbox.objects.filter(pk=shared.pk).update(owner=None)
    claire_session, julien_session, lea_session = signed_in(claire), signed_in(julien), signed_in(lea)
    with CaptureQueriesContext(connection) as queries:
        watched = mailboxes_with_live_session()
    assert watched == {mine.pk: claire_session.session_key, julien_box.pk: julien_session.session_key,
                       shared.pk: julien_session.session_key, lea_box.pk: lea_session.session_key}
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)  # nothing decoded

    User.objects.filter(pk=lea.pk).update(is_active=False)
    delegation.delete()
    LiveSession.objects.filter(user=claire).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert mailboxes_with_live_session() == {julien_box.pk: julien_session.session_key}


def test_the_pool_reaper_learns_who_still_stands_behind_a_connection() -> None:
    """Issue 28: the reaper's question, (mailbox, credential owner) still backed, answered
    from the same rows: the expired, the deactivated and the revoked are not."""
    from apps.mail.engine.pool import pool_owners_alive

    claire, julien, lea = person("899700000013"), person("899700000014"), person("899700000015")
    mine = Mailbox.objects.create(address="claire2@medecin.mssante.test", owner=claire)
    shared = Mailbox.objects.create(address="secretariat2@medecin.mssante.test", owner=claire)
    lea_box = Mailbox.objects.create(address="lea2@ehpad.mssante.test", owner=lea)
    delegation = Delegation.objects.create(mailbox=shared, user=julien, rights=Delegation.Rights.READ)
    julien_session, lea_session = signed_in(julien), signed_in(lea)
    signed_in(claire)
    pairs = {(mine.pk, f"user:{claire.pk}"), (shared.pk, f"user:{julien.pk}"),
             (shared.pk, f"session:{julien_session.session_key}"), (lea_box.pk, f"session:{lea_session.session_key}"),
             (lea_box.pk, "certificate"), (mine.pk, f"user:{lea.pk}")}  # Léa may not open Claire's
    assert pool_owners_alive(pairs) == pairs - {(mine.pk, f"user:{lea.pk}")}

    User.objects.filter(pk=lea.pk).update(is_active=False)
    delegation.delete()
    LiveSession.objects.filter(user=claire).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert pool_owners_alive(pairs) == {(lea_box.pk, "certificate")}
