"""The message list's sorts, its conversation view and the reader's conversation panel,
through Django's client against an index synced from the real Dovecot."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.mail import services
from apps.mail.models import Folder, Mailbox, MessageSummary
from tests.conftest import PSCSim, django_signin
from tests.integration.mail_server import append, reset_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "synchro@medecin.mssante.test"


@pytest.fixture
def box(demo_accounts: None) -> Mailbox:
    reset_mailbox(ADDRESS)
    owner = Mailbox.objects.get(address="claire.martin@medecin.mssante.test").owner
    return Mailbox.objects.create(address=ADDRESS, auth_mode=Mailbox.AuthMode.PASSWORD, owner=owner)


def subjects(html: str) -> list[str]:
    return re.findall(r'<a class="open" href="[^"]+">([^<]+)</a>', html)


def test_sorts_and_their_pages(client: Client, psc_sim: PSCSim, box: Mailbox) -> None:
    people = ["Zoé Aubert", "adrien Martin", "Bruno Cole"]
    for i in range(55):
        append(ADDRESS, subject=f"sujet {i:02d}", sender=f"{people[i % 3]} <p{i % 3}@hopital.mssante.test>")
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    inbox = Folder.objects.get(mailbox=box, name="INBOX")
    url = f"/bal/{box.pk}/dossier/{inbox.pk}/"
    django_signin(client, "gp")

    newest = subjects(client.get(url).content.decode())
    assert newest[:2] == ["sujet 54", "sujet 53"] and len(newest) == 50
    oldest = client.get(url + "?tri=ancien")
    assert subjects(oldest.content.decode())[:2] == ["sujet 00", "sujet 01"]
    rest = subjects(client.get(url + "?" + oldest.context["next_page"]).content.decode())
    assert rest == [f"sujet {i:02d}" for i in range(50, 55)]

    by_sender = client.get(url + "?tri=expediteur")
    rows = re.findall(r'<td class="from"[^>]*>([^<]+)</td>', by_sender.content.decode())
    assert rows[:18] == ["adrien Martin"] * 18 and rows[18] == "Bruno Cole"  # case-insensitive
    assert by_sender.context["next_page"] == "page=2"
    assert len(subjects(client.get(url + "?page=2").content.decode())) == 5  # sort remembered
    by_subject = subjects(client.get(url + "?tri=objet").content.decode())
    assert by_subject[:3] == ["sujet 00", "sujet 01", "sujet 02"]
    assert subjects(client.get(url + "?tri=n-importe-quoi").content.decode())[0] == "sujet 54"


def test_conversation_view_and_panel(client: Client, psc_sim: PSCSim, box: Mailbox,
                                     django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    root = "<fil-1@test.mssante-web>"
    append(ADDRESS, subject="Fil", Message_ID=root)
    append(ADDRESS, subject="Re: Fil", Message_ID="<fil-2@test.mssante-web>", In_Reply_To=root, References=root)
    append(ADDRESS, "Sent", subject="Re: Fil", Message_ID="<fil-3@test.mssante-web>",
           In_Reply_To="<fil-2@test.mssante-web>", References=f"{root} <fil-2@test.mssante-web>")
    append(ADDRESS, subject="Re: Fil", Message_ID="<fil-4@test.mssante-web>", In_Reply_To="<fil-3@test.mssante-web>",
           References=f"{root} <fil-2@test.mssante-web> <fil-3@test.mssante-web>")
    append(ADDRESS, subject="Seul")
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    inbox = Folder.objects.get(mailbox=box, name="INBOX")
    url = f"/bal/{box.pk}/dossier/{inbox.pk}/"
    django_signin(client, "gp")
    assert len(subjects(client.get(url).content.decode())) == 4  # one row per message
    client.get(url + "?conversations=1")
    with django_assert_max_num_queries(6):  # the page, plus one for its conversations
        grouped = client.get(url)  # remembered for the session
    html = grouped.content.decode()
    assert subjects(html) == ["Seul", "Re: Fil"]
    assert re.search(r'<span class="thread-size" title="3 messages dans cette conversation">3</span>', html)
    newest = grouped.context["messages_list"][1]
    reader = client.get(f"{url}message/{newest.uid}/").content.decode()
    assert "4 messages dans cette conversation" in reader  # the reply in Sent included
    assert reader.count('<li aria-current="true">') == 1 and "Envoyés" in reader
    # Archiving the conversation row archives its three INBOX messages, not just the newest.
    checkbox = re.search(r'name="uid" value="([\d,]+)" aria-label="Sélectionner Re: Fil"', html)
    assert checkbox and len(checkbox.group(1).split(",")) == 3
    client.post(f"/bal/{box.pk}/dossier/{inbox.pk}/actions/", {"uid": checkbox.group(1), "action": "archive"})
    assert list(MessageSummary.objects.filter(folder=inbox).values_list("subject", flat=True)) == ["Seul"]
    assert len(subjects(client.get(url + "?conversations=0").content.decode())) == 1
