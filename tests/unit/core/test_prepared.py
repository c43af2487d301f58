"""Prepared queries (apps.core.prepared): compiled once, then run with new values; the
hot reads built on them answer as their querysets do (a delegation's days, a session's
expiry, a deactivated user)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.oidc import PSCAuthenticationBackend
from apps.accounts.sessions import SessionStore
from apps.core.prepared import PreparedQuery
from apps.mail.models import Delegation, Folder, Mailbox, MessageSummary
from apps.mail.selectors import (
    folder_get,
    folder_list,
    mailbox_list_for_user,
    mailboxes_for_user,
    message_summary_get,
    thread_messages,
)

pytestmark = pytest.mark.django_db


def _user(idnat: str) -> User:
    return User.objects.create(username=idnat, idnat=idnat)


def test_compiled_once_then_run_with_each_value() -> None:
    builds: list[dict[str, Any]] = []

    def build(**params: Any) -> Any:
        builds.append(params)
        return User.objects.filter(pk=params["user_id"], username=params["username"])

    query = PreparedQuery(build, params={"user_id": int, "username": str})
    ann, bob = _user("800000000001"), _user("800000000002")
    assert query.list(user_id=ann.pk, username="800000000001") == [ann]
    assert query.list(user_id=bob.pk, username="800000000002") == [bob]
    assert query.list(user_id=bob.pk, username="800000000001") == []
    assert query.first(user_id=ann.pk, username="800000000002") is None
    assert len(builds) == 1, "compiled more than once"


class Wrapped(int):
    """What psycopg's Int8 is to a PostgreSQL bigint parameter: an int subclass."""


def test_a_value_the_driver_wraps_is_recognised_and_bound_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's operations wrap integer parameters (Int8 for a bigint column); SQLite's
    do not. The same wrapping here: the sentinel is found, and the real value is bound in
    the same wrapper."""
    from django.db import connection

    monkeypatch.setattr(connection.ops, "adapt_integerfield_value",
                        lambda value, internal_type: value if value is None else Wrapped(value))
    bound: list[list[Any]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        bound.append(list(params))
        return execute(sql, params, many, context)

    owner = _user("800000000003")
    box = Mailbox.objects.create(address="w@medecin.mssante.test", owner=owner)
    inbox = Folder.objects.create(mailbox=box, name="INBOX", role="inbox")
    MessageSummary.objects.create(folder=inbox, uid=41, date=timezone.now())
    query = PreparedQuery(lambda folder_id, uid: MessageSummary.objects.filter(folder_id=folder_id, uid=uid),
                          params={"folder_id": int, "uid": int})
    with connection.execute_wrapper(spy):
        assert [m.uid for m in query.list(folder_id=inbox.pk, uid=41)] == [41]
    assert type(bound[-1][-1]) is Wrapped and bound[-1][-1] == 41


def test_a_lookup_that_transforms_its_value_or_a_join_fill_is_refused() -> None:
    contains = PreparedQuery(lambda name: User.objects.filter(username__icontains=name), params={"name": str})
    with pytest.raises(ImproperlyConfigured, match="name"):
        contains.list(name="x")
    joined = PreparedQuery(lambda mailbox_id: Folder.objects.filter(mailbox_id=mailbox_id)
                           .select_related("mailbox"), params={"mailbox_id": int})
    with pytest.raises(ImproperlyConfigured, match="select_related"):
        joined.list(mailbox_id=1)
    with pytest.raises(ImproperlyConfigured):
        PreparedQuery(lambda when: User.objects.all(), params={"when": dt.date})


def test_a_daily_query_is_compiled_again_on_a_new_day(monkeypatch: pytest.MonkeyPatch) -> None:
    owner, delegate = _user("800000000010"), _user("800000000011")
    shared = Mailbox.objects.create(address="secretariat@ehpad.mssante.test", owner=owner, kind="ORG")
    today = timezone.localdate()
    Delegation.objects.create(mailbox=shared, user=delegate, rights="send", ends_on=today)
    assert [(m.address, m.delegated_rights) for m in mailboxes_for_user(user=delegate)] == [
        ("secretariat@ehpad.mssante.test", "send")]
    monkeypatch.setattr(timezone, "localdate", lambda: today + dt.timedelta(days=1))
    assert mailboxes_for_user(user=delegate) == [], "the delegation ended yesterday"
    assert list(mailbox_list_for_user(user=delegate)) == []
    assert [m.delegated_rights for m in mailboxes_for_user(user=owner)] == [None]


def test_the_readers_selectors_answer_as_their_querysets() -> None:
    owner = _user("800000000020")
    box = Mailbox.objects.create(address="a@medecin.mssante.test", owner=owner)
    other = Mailbox.objects.create(address="b@medecin.mssante.test", owner=owner)
    inbox = Folder.objects.create(mailbox=box, name="INBOX", role="inbox")
    sent = Folder.objects.create(mailbox=box, name="Sent", role="sent")
    Folder.objects.create(mailbox=box, name="Parent", selectable=False)
    foreign = Folder.objects.create(mailbox=other, name="INBOX", role="inbox")
    when = timezone.now()
    first = MessageSummary.objects.create(folder=inbox, uid=7, thread_key="t1", date=when, subject="Bilan")
    MessageSummary.objects.create(folder=sent, uid=3, thread_key="t1", date=when + dt.timedelta(minutes=5))
    MessageSummary.objects.create(folder=foreign, uid=7, thread_key="t1", date=when)
    assert folder_get(mailbox=box, folder_id=inbox.pk) == inbox
    assert folder_get(mailbox=box, folder_id=foreign.pk) is None, "a folder of another mailbox"
    assert [f.name for f in folder_list(mailbox=box)] == ["INBOX", "Sent"]
    summary = message_summary_get(folder=inbox, uid=7)
    assert summary == first and summary.subject == "Bilan" and summary.date == when
    assert message_summary_get(folder=inbox, uid=8) is None
    assert [(m.folder.name, m.uid) for m in thread_messages(mailbox=box, thread_key="t1")] == [
        ("INBOX", 7), ("Sent", 3)]


def test_an_expired_session_is_not_read_and_a_deactivated_user_is_signed_out() -> None:
    store = SessionStore()
    store["who"] = "claire"
    store.create()
    assert SessionStore(session_key=store.session_key).get("who") == "claire"
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert SessionStore(session_key=store.session_key).get("who") is None
    user = _user("800000000030")
    backend = PSCAuthenticationBackend()
    assert backend.get_user(user.pk) == user
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.get_user(user.pk) is None
    assert backend.get_user("not a number") is None
