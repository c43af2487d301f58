"""Queued work does not outlive a delegation (issue 27, point 7): a sync or body-index task
queued with a delegate's session key logged in as them after the delegation was revoked
(body indexing re-queues itself for minutes). A worker now checks, before it logs in, that
the session's user still owns the mailbox or holds a delegation in force, and is active."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings

from apps.accounts.models import User
from apps.core.errors import SessionExpired
from apps.mail.models import Delegation, Mailbox
from apps.mail.services import mail_access_for_session_key

pytestmark = pytest.mark.django_db


def _session_of(user: User) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    return str(store.session_key)


def test_a_revoked_delegation_or_a_deactivated_user_stops_queued_work() -> None:
    director = User.objects.create(username="810000000001", idnat="810000000001")
    educator = User.objects.create(username="810000000002", idnat="810000000002")
    shared = Mailbox.objects.create(address="secretariat@ehpad.mssante.test",
                                    auth_mode=Mailbox.AuthMode.PSC_XOAUTH2)
    delegation = Delegation.objects.create(mailbox=shared, user=educator, rights="read", granted_by=director)
    key = _session_of(educator)
    access = mail_access_for_session_key(mailbox=shared, session_key=key)
    assert access.delegate_idnat == "810000000002"  # in force: the worker acts as the delegate
    delegation.delete()
    with pytest.raises(SessionExpired):
        mail_access_for_session_key(mailbox=shared, session_key=key)
    own = Mailbox.objects.create(address="lea.moreau@ehpad.mssante.test", owner=educator,
                                 auth_mode=Mailbox.AuthMode.PSC_XOAUTH2)
    assert mail_access_for_session_key(mailbox=own, session_key=key).delegate_idnat == ""
    User.objects.filter(pk=educator.pk).update(is_active=False)
    with pytest.raises(SessionExpired):
        mail_access_for_session_key(mailbox=own, session_key=key)
