"""Property: whatever another client does on the server (append, flag, move, expunge),
interleaved with syncs in any order, after a final sync the index equals the server."""

from __future__ import annotations

from typing import Any

import imapclient
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.mail import services
from apps.mail.models import Folder, Mailbox
from tests.conftest import imap_plain
from tests.integration.mail_server import index_state, make_message, reset_mailbox, server_state

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "propriete@medecin.mssante.test"
FOLDERS = ("INBOX", "Archive")

operation = st.one_of(
    st.tuples(st.just("append"), st.sampled_from(FOLDERS), st.booleans()),
    st.tuples(st.just("flag"), st.sampled_from(FOLDERS), st.integers(0, 50),
              st.sampled_from([imapclient.SEEN, imapclient.FLAGGED]), st.booleans()),
    st.tuples(st.just("move"), st.sampled_from(FOLDERS), st.integers(0, 50)),
    st.tuples(st.just("expunge"), st.sampled_from(FOLDERS), st.integers(0, 50)),
    st.tuples(st.just("sync")),
)


def apply(client: imapclient.IMAPClient, op: tuple[Any, ...]) -> None:
    kind, folder = op[0], op[1]
    if kind == "append":
        client.append(folder, make_message(), flags=[imapclient.SEEN] if op[2] else [])
        return
    client.select_folder(folder)
    uids = sorted(client.search("ALL"))
    if not uids:
        return
    uid = uids[op[2] % len(uids)]
    if kind == "flag":
        (client.add_flags if op[4] else client.remove_flags)([uid], [op[3]])
    elif kind == "move":
        client.move([uid], "Archive" if folder == "INBOX" else "INBOX")
    elif kind == "expunge":
        client.add_flags([uid], [imapclient.DELETED])
        client.uid_expunge([uid])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=14), pooled=st.booleans())
def test_index_converges_to_the_server(devstack: dict[str, str], ops: list[tuple[Any, ...]],
                                       pooled: bool) -> None:
    """``pooled``: syncs reuse one connection, so the NOOP fast path is exercised too."""
    services.POOL.clear()
    pool_key = "property" if pooled else None
    reset_mailbox(ADDRESS)
    Mailbox.objects.filter(address=ADDRESS).delete()
    mailbox = Mailbox.objects.create(address=ADDRESS, auth_mode=Mailbox.AuthMode.PASSWORD)
    client = imap_plain(ADDRESS)
    try:
        for op in ops:
            if op[0] == "sync":
                services.mailbox_sync(access=services.MailAccess(mailbox=mailbox, pool_key=pool_key))
            else:
                apply(client, op)
    finally:
        client.logout()
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox, pool_key=pool_key))
    services.POOL.clear()
    assert index_state(ADDRESS, FOLDERS) == server_state(ADDRESS, FOLDERS)
    for name in FOLDERS:
        folder = Folder.objects.get(mailbox=mailbox, name=name)
        expected = server_state(ADDRESS, (name,))[name]
        assert folder.total == len(expected)
        assert folder.unread == sum(1 for seen, _ in expected.values() if not seen)
