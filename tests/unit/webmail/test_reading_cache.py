"""The reader's caches never mix two things: a message body and the body of the message
attached to it as part "0" or "1" had the same key (a garbled body, or a 500)."""

from __future__ import annotations

import pytest

from apps.flows.reading import attached_cache_key, body_cache_key
from apps.mail.models import Folder, Mailbox


def folder(uidvalidity: int = 7) -> Folder:
    return Folder(pk=3, mailbox=Mailbox(pk=2, address="a@x.fr"), name="INBOX", uidvalidity=uidvalidity)


@pytest.mark.parametrize("part_id", ["0", "1", "2", "1.2"])
def test_a_body_and_an_attached_body_never_share_a_key(part_id: str) -> None:
    bodies = {body_cache_key(folder(), 12, images) for images in (False, True)}
    assert attached_cache_key(folder(), 12, part_id) not in bodies
    assert len(bodies) == 2


def test_keys_follow_the_message_version() -> None:
    assert body_cache_key(folder(7), 12, False) != body_cache_key(folder(8), 12, False)
    assert body_cache_key(folder(), 12, False) != body_cache_key(folder(), 13, False)
    assert attached_cache_key(folder(7), 12, "1") != attached_cache_key(folder(8), 12, "1")
