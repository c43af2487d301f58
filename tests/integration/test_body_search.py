"""The local body index (issue 16): the worker indexes the first 64 KB of each message's
text (plain, or the HTML's text without markup or style) in every folder; the search finds
a word of the text, accents and case ignored, as a prefix, only in the user's mailbox;
an expunged message leaves the index; the server's SEARCH covers every folder."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from apps.mail import services
from apps.mail.bodyindex import bodies_pending, search_words
from apps.mail.models import Folder, Mailbox, MessageSummary
from apps.mail.selectors import message_search
from tests.conftest import PSCSim, django_signin
from tests.integration.mail_server import SYNCHRO, append, reset_mailbox, synchro_inbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HTML = ("<html><head><style>.cachee { color: red }</style><title>titre-invisible</title></head><body>"
        "<p>Compte rendu d'<b>échographie</b> abdominale</p><script>motscript()</script></body></html>")


@pytest.fixture
def indexed(psc_sim: PSCSim, demo_accounts: None) -> Mailbox:
    reset_mailbox(SYNCHRO)
    append(SYNCHRO, subject="Texte brut", body="Le patient présente une fièvre persistante.\n")
    append(SYNCHRO, folder="Archive", subject="Classé", body="Ordonnance de kinésithérapie.\n")
    long_tail = "début " + "remplissage " * 7000 + "motlointain"  # ~84 KB: past the 64 KB kept
    append(SYNCHRO, subject="Long", body=long_tail)
    box, _ = synchro_inbox()
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    return box


def test_bodies_are_indexed_and_found(indexed: Mailbox, client: Client) -> None:
    box = indexed
    # An HTML message, appended raw as a sender's client writes it.
    from tests.conftest import imap_plain

    raw = (f"From: a@medecin.mssante.test\r\nTo: {SYNCHRO}\r\nSubject: Vraie page HTML\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + HTML).encode()
    imap = imap_plain(SYNCHRO)
    imap.append("INBOX", raw)
    imap.logout()
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    done, left = services.mailbox_bodies_index(access=services.MailAccess(mailbox=box))
    assert done == MessageSummary.objects.filter(folder__mailbox=box).count() and not left
    box.refresh_from_db()
    assert box.bodies_indexing is False
    assert box.bodies_indexed_through == MessageSummary.objects.filter(folder__mailbox=box).latest("id").pk
    assert all(bodies_pending(folder_id=f.pk, limit=10) == [] for f in Folder.objects.filter(mailbox=box))

    def found(query: str) -> list[str]:
        return sorted(m.subject for m in message_search(mailbox=box, query=query, bodies=True))

    assert found("fievre") == ["Texte brut"]  # accents ignored
    assert found("FIÈVRE persist") == ["Texte brut"]  # case, and a word's beginning
    assert found("kinésithérapie") == ["Classé"]  # every folder, not only the INBOX
    assert found("echographie abdominale") == ["Vraie page HTML"]  # the HTML's text
    assert found("cachee") == [] and found("motscript") == [] and found("titre") == []  # no style, script, head
    assert found("début") == ["Long"] and found("motlointain") == []  # the first 64 KB only
    assert found("fièvre kinésithérapie") == []  # every word in one message
    assert found("Texte") == ["Texte brut"]  # headers as before
    # Only the user's mailbox: the same words in another mailbox's index are not seen.
    other = Mailbox.objects.exclude(pk=box.pk).first()
    assert other is not None
    assert message_search(mailbox=other, query="fievre", bodies=True) == []
    # Expunged on the server: the summary and its indexed text go.
    target = MessageSummary.objects.get(folder__mailbox=box, subject="Texte brut")
    services.message_expunge(access=services.MailAccess(mailbox=box), folder=target.folder, uids=[target.uid])
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    assert found("fievre") == []
    with connection.cursor() as cursor:
        key = "summary_id" if connection.vendor == "postgresql" else "rowid"
        cursor.execute(f"SELECT COUNT(*) FROM mail_bodyindex WHERE {key} = %s", [target.pk])  # noqa: S608
        assert cursor.fetchone()[0] == 0
    # The page: one box for headers and text.
    django_signin(client, "gp")
    page = client.get(f"/bal/{box.pk}/recherche/", {"q": "kiné"}).content.decode()
    assert "Classé" in page and "Expéditeur, destinataire, objet ou texte" in page
    # As one types (issue 30): headers and addresses at once, from the summary index alone;
    # the page then asks for the same search with the texts, which replaces the results.
    typed = client.get(f"/bal/{box.pk}/recherche/", {"q": "kiné", "vite": "1"}, HTTP_HX_REQUEST="true")
    quick = typed.content.decode()
    assert "Classé" not in quick and "Recherche dans le texte des messages…" in quick
    follow = f"/bal/{box.pk}/recherche/?q=kin%C3%A9"
    assert f'hx-get="{follow}"' in quick and typed["HX-Replace-Url"] == follow
    whole = client.get(follow, HTTP_HX_REQUEST="true").content.decode()
    assert "Classé" in whole and "Recherche dans le texte" not in whole
    headers_hit = client.get(f"/bal/{box.pk}/recherche/", {"q": "vraie", "vite": "1"}).content.decode()
    assert "1 résultat" in headers_hit and "Vraie page HTML" in headers_hit


def test_search_words_cannot_inject_engine_syntax() -> None:
    assert search_words('a" OR body:* NEAR(x) -- é\'t\u00e9') == ["a", "OR", "body", "NEAR", "x", "é", "t\u00e9"]
    assert len(search_words("mot " * 50)) == 8


def test_the_worker_indexes_after_its_sync(indexed: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's sync asks for the indexing run (the mailbox starts as not indexed)."""
    from apps.mail.engine import sync_runs

    asked: list[str] = []
    box = indexed
    Mailbox.objects.filter(pk=box.pk).update(bodies_indexing=True)
    monkeypatch.setattr(sync_runs, "mailbox_bodies_index_enqueue",
                        lambda *, mailbox, session_key: asked.append(mailbox.address))
    assert services.mailbox_sync_in_worker(mailbox_id=box.pk) == "done"
    assert asked == [SYNCHRO]
    # Indexed, and no new mail: the next worker sync asks for nothing.
    services.mailbox_bodies_index(access=services.MailAccess(mailbox=box))
    assert services.mailbox_sync_in_worker(mailbox_id=box.pk) == "done"
    assert asked == [SYNCHRO]


def test_after_a_full_pass_only_what_was_stored_since_is_looked_at(indexed: Mailbox) -> None:
    """The runs that follow new mail read the primary key's range above the last full pass,
    not every folder (a 100k-folder scan per new mail otherwise)."""
    box = indexed
    assert services.mailbox_bodies_index(access=services.MailAccess(mailbox=box))[1] is False
    old = MessageSummary.objects.get(folder__mailbox=box, subject="Texte brut")
    with connection.cursor() as cursor:  # as if this old message had been missed
        key = "summary_id" if connection.vendor == "postgresql" else "rowid"
        cursor.execute(f"DELETE FROM mail_bodyindex WHERE {key} = %s", [old.pk])  # noqa: S608
    append(SYNCHRO, subject="Arrivé après", body="Nouvelle ordonnance de séquestrène.\n")
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    done, left = services.mailbox_bodies_index(access=services.MailAccess(mailbox=box))
    assert (done, left) == (1, False)  # the new message only: the old one is below the range
    assert [m.subject for m in message_search(mailbox=box, query="séquestrène", bodies=True)] == ["Arrivé après"]
    inbox = Folder.objects.get(mailbox=box, role="inbox")
    assert bodies_pending(folder_id=inbox.pk, limit=10) == [(old.pk, old.uid)]  # a full pass would see it


def test_a_first_pass_runs_in_slices_that_each_move_forward(psc_sim: PSCSim, demo_accounts: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A long first pass is cut in runs (new-mail syncs queued meanwhile go between two),
    each indexing at least one batch however short its budget, and the whole is indexed
    once, the INBOX first."""
    from apps.mail.engine import body_indexing

    monkeypatch.setattr(body_indexing, "BATCH", 4)
    reset_mailbox(SYNCHRO)
    for number in range(10):
        append(SYNCHRO, subject=f"Courrier {number}", body=f"Texte numéro{number}.\n")
    append(SYNCHRO, folder="Archive", subject="Classé", body="Ordonnance archivée.\n")
    box, _ = synchro_inbox()
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    runs = []
    while True:
        done, left = services.mailbox_bodies_index(access=services.MailAccess(mailbox=box), budget=0.0)
        runs.append(done)
        if not left:
            break
        assert done > 0 and len(runs) < 20, runs
    assert sum(runs) == 11 and runs[:3] == [4, 4, 2], runs  # one batch a run; INBOX's 10 first
    box.refresh_from_db()
    assert box.bodies_indexing is False
    assert [m.subject for m in message_search(mailbox=box, query="archivée", bodies=True)] == ["Classé"]
    assert [m.subject for m in message_search(mailbox=box, query="numéro7", bodies=True)] == ["Courrier 7"]
