"""Message actions from the web: they reach the IMAP server and the index at once."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.mail import services
from apps.mail.models import Folder, Mailbox, MessageSummary
from tests.conftest import PSCSim, django_signin
from tests.integration.mail_server import index_state, server_state, synchro_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ADDRESS = "synchro@medecin.mssante.test"


@pytest.fixture
def mailbox(client: Client, psc_sim: PSCSim, demo_accounts: None) -> Mailbox:
    box = synchro_mailbox(4)
    django_signin(client, "gp")
    return box


def act(client: Client, box: Mailbox, folder: Folder, action: str, uids: list[int], **extra: object) -> None:
    response = client.post(f"/bal/{box.pk}/dossier/{folder.pk}/actions/", {"action": action, "uid": uids, **extra})
    assert response.status_code == 302, response.content[:500]


def test_bulk_flags_archive_move_delete_and_empty_trash(client: Client, mailbox: Mailbox) -> None:
    inbox = Folder.objects.get(mailbox=mailbox, role="inbox")
    uids = list(MessageSummary.objects.filter(folder=inbox).order_by("uid").values_list("uid", flat=True))
    act(client, mailbox, inbox, "read", uids[:2])
    act(client, mailbox, inbox, "flag", [uids[0]])
    assert server_state(ADDRESS)["INBOX"][uids[0]] == (True, True)
    assert Folder.objects.get(pk=inbox.pk).unread == 2
    act(client, mailbox, inbox, "archive", [uids[1]])
    act(client, mailbox, inbox, "delete", [uids[2]])
    junk = Folder.objects.get(mailbox=mailbox, role="junk")
    act(client, mailbox, inbox, "move", [uids[3]], destination=junk.pk)
    assert MessageSummary.objects.filter(folder=inbox).count() == 1
    state = server_state(ADDRESS, ("INBOX", "Archive", "Trash", "Junk"))
    assert (len(state["INBOX"]), len(state["Archive"]), len(state["Trash"]), len(state["Junk"])) == (1, 1, 1, 1)
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))
    trash = Folder.objects.get(mailbox=mailbox, role="trash")
    trashed = list(MessageSummary.objects.filter(folder=trash).values_list("uid", flat=True))
    act(client, mailbox, trash, "delete", trashed)  # from the Trash: deleted for good
    assert server_state(ADDRESS, ("Trash",))["Trash"] == {}
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))
    assert index_state(ADDRESS, ("INBOX", "Archive", "Trash", "Junk")) == server_state(
        ADDRESS, ("INBOX", "Archive", "Trash", "Junk"))


def test_actions_refuse_other_peoples_mailboxes_and_bad_input(client: Client, mailbox: Mailbox) -> None:
    inbox = Folder.objects.get(mailbox=mailbox, role="inbox")
    assert client.post(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/actions/", {"action": "explode", "uid": [1]}).status_code == 404
    assert client.post(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/actions/", {"action": "read", "uid": ["x"]}).status_code == 404
    assert client.post(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/actions/",
                       {"action": "move", "uid": [1], "destination": "abc"}).status_code == 404
    client.post("/oidc/logout/")
    django_signin(client, "nurse")
    assert client.post(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/actions/", {"action": "read", "uid": [1]}).status_code == 404


def test_folders_created_renamed_deleted_and_trash_emptied(client: Client, mailbox: Mailbox) -> None:
    response = client.post(f"/bal/{mailbox.pk}/dossiers/", {"action": "create", "name": "Dossiers EHPAD"})
    created = Folder.objects.get(mailbox=mailbox, name="Dossiers EHPAD")
    assert response["Location"].endswith(f"/dossier/{created.pk}/")
    client.post(f"/bal/{mailbox.pk}/dossiers/", {"action": "rename", "folder": created.pk, "name": "EHPAD Glycines"})
    created.refresh_from_db()
    assert created.name == "EHPAD Glycines"
    from tests.conftest import imap_plain

    box = imap_plain(ADDRESS)
    names = {name for _f, _d, name in box.list_folders()}
    box.logout()
    assert "EHPAD Glycines" in names and "Dossiers EHPAD" not in names
    assert client.post(f"/bal/{mailbox.pk}/dossiers/", {"action": "create", "name": "a/b"}).status_code == 302
    assert not Folder.objects.filter(mailbox=mailbox, name="a/b").exists()
    inbox = Folder.objects.get(mailbox=mailbox, role="inbox")
    assert client.post(f"/bal/{mailbox.pk}/dossiers/", {"action": "delete", "folder": inbox.pk}).status_code == 404
    client.post(f"/bal/{mailbox.pk}/dossiers/", {"action": "delete", "folder": created.pk})
    assert not Folder.objects.filter(pk=created.pk).exists()
    uids = list(MessageSummary.objects.filter(folder=inbox).values_list("uid", flat=True))
    act(client, mailbox, inbox, "delete", uids[:2])
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))
    trash = Folder.objects.get(mailbox=mailbox, role="trash")
    client.post(f"/bal/{mailbox.pk}/dossiers/", {"action": "empty", "folder": trash.pk})
    assert server_state(ADDRESS, ("Trash",))["Trash"] == {} and not MessageSummary.objects.filter(folder=trash).exists()


def test_source_is_shown_as_plain_text(client: Client, mailbox: Mailbox) -> None:
    inbox = Folder.objects.get(mailbox=mailbox, role="inbox")
    uid = MessageSummary.objects.filter(folder=inbox).first().uid
    response = client.get(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/message/{uid}/source/")
    assert response["Content-Type"].startswith("text/plain") and b"Message-ID:" in response.content
    assert "sandbox" in response["Content-Security-Policy"]


def test_move_without_a_folder_says_so_instead_of_404(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                      seeded_mail: None) -> None:
    django_signin(client, "gp")
    client.get("/", follow=True)
    inbox = Folder.objects.get(mailbox__address="claire.martin@medecin.mssante.test", role="inbox")
    uid = MessageSummary.objects.filter(folder=inbox).values_list("uid", flat=True).first()
    page = f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/message/{uid}/"
    reader = client.get(page).content.decode()
    assert 'selected disabled>Déplacer vers…</option>' in reader
    assert ">Brouillons</option>" not in reader  # a received message is not moved into Drafts
    answer = client.post(f"/bal/{inbox.mailbox_id}/dossier/{inbox.pk}/actions/",
                         {"uid": [uid], "action": "move", "destination": "", "next": page}, follow=True)
    assert answer.status_code == 200 and "Choisissez le dossier de destination." in answer.content.decode()
    assert MessageSummary.objects.filter(folder=inbox, uid=uid).exists()


def test_favicon_ico_is_found(client: Client) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith("img/favicon.svg")


def test_a_message_that_arrived_after_the_pooled_session_looked_is_moved_at_once(client: Client,
                                                                                 mailbox: Mailbox) -> None:
    """The page's pooled IMAP session selected the INBOX before the new message came (a
    worker's sync saw it): its UID must still be acted on, not silently skipped."""
    from tests.integration.mail_server import append

    inbox = Folder.objects.get(mailbox=mailbox, role="inbox")
    act(client, mailbox, inbox, "read", [MessageSummary.objects.filter(folder=inbox).first().uid])  # selects it
    uid = append(ADDRESS, subject="Arrivé après")
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))  # another session sees it
    act(client, mailbox, inbox, "delete", [uid])
    assert uid not in server_state(ADDRESS, ("INBOX",))["INBOX"]
