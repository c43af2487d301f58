"""One sync per mailbox, whoever starts it: at a first sign-in the page's inline first
screen and the worker's sync both created the mailbox's folders (IntegrityError, the sync
ended "index-failed" and backed off)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apps.core.errors import SyncInProgress
from apps.mail import services
from apps.mail.models import Folder, Mailbox
from apps.mail.sync import mailbox_index_sync
from tests.conftest import run_together
from tests.integration.mail_server import append, reset_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "synchro@medecin.mssante.test"


@pytest.fixture
def mailbox(devstack: dict[str, str]) -> Mailbox:
    reset_mailbox(ADDRESS)
    for i in range(30):
        append(ADDRESS, subject=f"ensemble {i}")
    return Mailbox.objects.create(address=ADDRESS, auth_mode=Mailbox.AuthMode.PASSWORD)


def together(work: Callable[[], str]) -> list[str]:
    """``work`` in two threads released at the same instant; what each returned or raised."""
    return sorted(f"{type(r).__name__}: {r}" if isinstance(r, Exception) else r
                  for r in run_together(work))


def test_two_syncs_started_together_on_a_new_mailbox(mailbox: Mailbox) -> None:
    def sync() -> str:
        try:
            services.mailbox_sync(access=services.MailAccess(mailbox=Mailbox.objects.get(pk=mailbox.pk)))
        except SyncInProgress:
            return "skipped"
        return "done"

    assert together(sync) in (["done", "skipped"], ["done", "done"])  # never both at once
    mailbox.refresh_from_db()
    assert mailbox.sync_failures == 0 and mailbox.last_sync_error_kind == ""
    names = list(Folder.objects.filter(mailbox=mailbox).values_list("name", flat=True))
    assert len(names) == len(set(names)) and "INBOX" in names
    assert Folder.objects.get(mailbox=mailbox, name="INBOX").total == 30


def test_folder_creation_is_idempotent_when_two_index_syncs_race(mailbox: Mailbox) -> None:
    """What holds without the lock too (drafts refresh the index on their own session)."""
    def index() -> str:
        box = Mailbox.objects.get(pk=mailbox.pk)
        session = services.mailbox_session_open(access=services.MailAccess(mailbox=box))
        try:
            mailbox_index_sync(mailbox=box, session=session, only=["INBOX"])
        finally:
            session.close()
        return "done"

    assert together(index) == ["done", "done"]
    names = list(Folder.objects.filter(mailbox=mailbox).values_list("name", flat=True))
    assert len(names) == len(set(names))
