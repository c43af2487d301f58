"""A sync skipped because another held the mailbox is not lost (issue 28, found by
bench/scale.py): a second message on IDLE while the first one's sync ran waited for beat.
The skipped one is noted; the holder queues it once done (through the real Redis and
Dovecot)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.mail.engine import sync_runs
from apps.mail.models import Mailbox
from devstack import stack

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(sync_runs, "task_enqueue", lambda **kwargs: asked.append(kwargs))
    return asked


def test_a_skipped_sync_runs_after_the_one_that_held_the_mailbox(devstack: dict[str, str],
                                                                queued: list[dict[str, Any]]) -> None:
    mailbox = Mailbox.objects.create(address=stack.watch_bench_users()[1999], auth_mode=Mailbox.AuthMode.PASSWORD)
    with sync_runs.mailbox_sync_lock(mailbox_id=mailbox.pk) as held:
        assert held
        assert sync_runs.mailbox_sync_in_worker(mailbox_id=mailbox.pk, only=["INBOX"]) == "skipped"
        assert sync_runs.mailbox_sync_in_worker(mailbox_id=mailbox.pk, only=["INBOX"]) == "skipped"
        assert queued == []  # not while the holder runs
    # The holder's own run ends: what was skipped meanwhile is queued, once.
    assert sync_runs.mailbox_sync_in_worker(mailbox_id=mailbox.pk) == "done"
    assert [q["args"] for q in queued] == [[mailbox.pk, None, ["INBOX"]]]
    assert sync_runs.mailbox_sync_in_worker(mailbox_id=mailbox.pk) == "done"
    assert len(queued) == 1


def test_a_note_left_as_the_holder_finished_is_queued_at_once(devstack: dict[str, str],
                                                              queued: list[dict[str, Any]]) -> None:
    """The holder looked at the notes just before this one was written: nobody else will."""
    mailbox = Mailbox.objects.create(address=stack.watch_bench_users()[1998], auth_mode=Mailbox.AuthMode.PASSWORD)
    sync_runs._sync_again_ask(mailbox_id=mailbox.pk, session_key=None, only=None)
    assert [q["args"] for q in queued] == [[mailbox.pk, None, None]]
