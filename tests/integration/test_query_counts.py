"""Query-count pins on the pages besides the list (which has its own): a message, search,
compose (new and reply) and the directory cost a fixed number of queries, whatever the
size of the conversation, the results or the directory. A change that adds a query per
row fails here."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.mail import services
from apps.mail.models import Folder, Mailbox, MessageSummary
from tests.conftest import PSCSim, django_signin
from tests.integration.mail_server import append, synchro_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "synchro@medecin.mssante.test"
# The session, the user, the mailbox and folders, the page's own reads: the same for 2 rows
# as for 20.
MESSAGE_QUERIES = 9
SEARCH_QUERIES = 5
COMPOSE_QUERIES = 5  # with the chips' names: one directory query for all of them
DIRECTORY_QUERIES = 2 + 8  # the session and user, then one small indexed query per rank at most


def thread(box: Mailbox, size: int, tag: str) -> int:
    """A conversation of ``size`` messages in the INBOX; returns the newest one's uid."""
    root = f"<{tag}-0@test.mssante-web>"
    append(ADDRESS, subject=f"Fil {tag}", Message_ID=root)
    for i in range(1, size):
        append(ADDRESS, subject=f"Re: Fil {tag}", Message_ID=f"<{tag}-{i}@test.mssante-web>",
               In_Reply_To=root, References=root)
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    inbox = Folder.objects.get(mailbox=box, name="INBOX")
    return MessageSummary.objects.filter(folder=inbox, subject__endswith=f"Fil {tag}").order_by("-uid")[0].uid


def counted(client: Client, url: str, most: int, assert_max: Any, **params: str) -> Any:
    client.get(url, params)  # warm the session, the caches and the message itself
    with assert_max(most) as captured:
        page = client.get(url, params)
    assert page.status_code == 200
    return len(captured)


def test_message_page(client: Client, psc_sim: PSCSim, demo_accounts: None,
                      django_assert_max_num_queries: Any) -> None:
    box = synchro_mailbox(0)
    django_signin(client, "gp")
    inbox = Folder.objects.get(mailbox=box, name="INBOX")
    small, big = thread(box, 2, "petit"), thread(box, 12, "grand")
    base = f"/bal/{box.pk}/dossier/{inbox.pk}/message/"
    few = counted(client, f"{base}{small}/", MESSAGE_QUERIES, django_assert_max_num_queries)
    many = counted(client, f"{base}{big}/", MESSAGE_QUERIES, django_assert_max_num_queries)
    assert few == many


def test_search_page(client: Client, psc_sim: PSCSim, demo_accounts: None,
                     django_assert_max_num_queries: Any) -> None:
    box = synchro_mailbox(25)
    django_signin(client, "gp")
    url = f"/bal/{box.pk}/recherche/"
    one = counted(client, url, SEARCH_QUERIES, django_assert_max_num_queries, q="message 7")
    many = counted(client, url, SEARCH_QUERIES, django_assert_max_num_queries, q="message")
    assert one == many


def test_compose_page_new_and_reply(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                    trust_data: None, django_assert_max_num_queries: Any) -> None:
    box = synchro_mailbox(0)
    django_signin(client, "gp")
    inbox = Folder.objects.get(mailbox=box, name="INBOX")
    uid = thread(box, 3, "reponse")
    new = counted(client, "/ecrire/", COMPOSE_QUERIES, django_assert_max_num_queries,
                  a="julien.petit@hopital.mssante.test")
    reply = counted(client, "/ecrire/", COMPOSE_QUERIES + 2, django_assert_max_num_queries,
                    mode="all", origine=f"{box.pk}:{inbox.pk}:{uid}")
    assert reply <= new + 2  # the original's mailbox and folder, nothing per recipient


def test_directory_page_and_suggestions(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                        trust_data: None, django_assert_max_num_queries: Any) -> None:
    django_signin(client, "gp")
    # Ranks stop once the page is full: a wide search costs no more than a narrow one.
    narrow = counted(client, "/annuaire/", DIRECTORY_QUERIES, django_assert_max_num_queries, q="Claire MARTIN")
    wide = counted(client, "/annuaire/", DIRECTORY_QUERIES, django_assert_max_num_queries, q="a")
    assert wide <= narrow
    counted(client, "/annuaire/suggestions/", DIRECTORY_QUERIES + 2, django_assert_max_num_queries, q="mar")
