"""The sync engine against the real Dovecot: first sync, incremental changes, UIDVALIDITY,
faults mid-sync, token expiry, one sync per mailbox, user actions."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import time
from typing import Any

import imapclient
import pytest
from django.conf import settings
from django.utils import timezone

from apps.core.errors import IndexUnavailable, MailServerUnavailable
from apps.mail import services, sync
from apps.mail.models import Folder, Mailbox, MessageSummary
from mailproto.imap import summaries, wire
from mailproto.imap.session import ImapSession
from mailproto.imap.summaries import thread_key
from tests.conftest import IDENTITIES, PSCSim, imap_plain
from tests.integration.mail_server import append, index_state, reset_mailbox, server_state

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ADDRESS = "synchro@medecin.mssante.test"
INS = "280017512345610"


@pytest.fixture
def mailbox(devstack: dict[str, str]) -> Mailbox:
    reset_mailbox(ADDRESS)
    return Mailbox.objects.create(address=ADDRESS, auth_mode=Mailbox.AuthMode.PASSWORD)


def run(mailbox: Mailbox, **kwargs: Any) -> sync.SyncReport:
    return services.mailbox_sync(access=services.MailAccess(mailbox=mailbox), **kwargs)


def folder(mailbox: Mailbox, name: str = "INBOX") -> Folder:
    return Folder.objects.get(mailbox=mailbox, name=name)


@pytest.mark.parametrize("parser", ["here", "writer process"])
def test_first_sync_indexes_what_lists_need(mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch,
                                            parser: str) -> None:
    if parser == "writer process":
        # Big initial syncs fork a writer that also parses what it is offered: make it take
        # every piece, and fail the sync if this process parses any.
        monkeypatch.setattr(sync.TUNING, "process_writer_min_messages", 1)
        monkeypatch.setattr(sync.TUNING, "offer_backlog", 10**9)
        monkeypatch.setattr(settings, "MSSANTE_SYNC_WRITER_PROCESS", True)
        parent, parse = os.getpid(), summaries.parse_summary_units

        def child_only(*args: Any) -> Any:
            assert os.getpid() != parent, "parsed in the syncing process"
            return parse(*args)

        monkeypatch.setattr(summaries, "parse_summary_units", child_only)
    append(ADDRESS, subject="Sortie de Mme Dupont", flags=(b"\\Seen",))
    append(ADDRESS, subject="Ordonnance", attachment=("ordonnance.pdf", "application/pdf", b"%PDF-1.4"),
           Date="Tue, 24 Nov 2026 23:30:05 -0130")  # the next day in UTC
    append(ADDRESS, subject="XDM/1.0/DDM+CR de biologie", attachment=("IHE_XDM.zip", "application/zip", b"PK"))
    append(ADDRESS, subject="Question sur mon traitement",
           sender=f"Jeanne Dupont <{INS}@patient.mssante.test>", In_Reply_To="<a@x>",
           References="<root@x> <a@x>")
    append(ADDRESS, "Archive", subject="Ancien échange")
    report = run(mailbox)
    assert {f.name: f.mode for f in report.folders}["INBOX"] == "initial"
    inbox = folder(mailbox)
    assert (inbox.role, inbox.total, inbox.unread) == ("inbox", 4, 3)
    assert folder(mailbox, "Sent").role == "sent" and folder(mailbox, "Trash").role == "trash"
    rows = {m.subject: m for m in MessageSummary.objects.filter(folder=inbox)}
    assert rows["Sortie de Mme Dupont"].seen
    assert rows["Sortie de Mme Dupont"].sender_name == "Julien Petit"
    assert rows["Sortie de Mme Dupont"].sender_address == "julien.petit@hopital.mssante.test"
    assert "secretariat@medecin.mssante.test" in rows["Sortie de Mme Dupont"].recipients
    assert rows["Ordonnance"].att_pdf and rows["Ordonnance"].has_attachment
    # Stored as the backend stores any date (SQLite: text made by the INSERT itself), read
    # back and filtered on through the ORM like any other.
    assert rows["Ordonnance"].date == dt.datetime(2026, 11, 25, 1, 0, 5, tzinfo=dt.UTC)
    assert list(MessageSummary.objects.filter(
        folder=inbox, date__gte=dt.datetime(2026, 11, 25, 1, 0, 5, tzinfo=dt.UTC)).values_list(
        "subject", flat=True)) == ["Ordonnance"]
    assert [(m.seen, m.flagged, m.att_cda) for m in rows.values()].count((True, False, False)) == 1
    assert MessageSummary.objects.filter(folder=inbox, seen=True).count() == 1
    assert MessageSummary.objects.filter(folder=inbox, has_attachment=False).count() == 2
    assert rows["XDM/1.0/DDM+CR de biologie"].att_xdm
    patient = rows["Question sur mon traitement"]
    assert patient.patient_ins == INS and patient.in_reply_to == "<a@x>"
    assert patient.thread_key == thread_key("<x@y>", "<a@x>", "<root@x> <a@x>", 1)
    assert MessageSummary.objects.filter(folder=folder(mailbox, "Archive")).count() == 1


def test_empty_folders_are_not_opened_at_first_sync_and_then_follow(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    append(ADDRESS, subject="premier")
    opened: list[str] = []
    examine = ImapSession.examine

    def recording(self: ImapSession, name: str) -> Any:
        opened.append(name)
        return examine(self, name)

    monkeypatch.setattr(ImapSession, "examine", recording)
    run(mailbox)
    assert "INBOX" in opened and "Sent" not in opened  # STATUS said everything about Sent
    sent = folder(mailbox, "Sent")
    assert sent.uidvalidity and sent.highestmodseq is not None and sent.total == 0
    append(ADDRESS, "Sent", subject="envoyé depuis un autre client")
    report = run(mailbox)
    assert {f.name: f.mode for f in report.folders}["Sent"] == "incremental"
    assert list(MessageSummary.objects.filter(folder=sent).values_list("subject", flat=True)) == [
        "envoyé depuis un autre client"]
    assert index_state(ADDRESS) == server_state(ADDRESS)


@pytest.mark.requirement("ECO.2.2.4")
def test_thread_key_follows_references(mailbox: Mailbox) -> None:
    append(ADDRESS, subject="Racine", Message_ID="<root@t>")
    append(ADDRESS, subject="Re: Racine", In_Reply_To="<root@t>", References="<root@t>")
    append(ADDRESS, subject="Re: Re: Racine", In_Reply_To="<r1@t>", References="<root@t> <r1@t>")
    append(ADDRESS, subject="Autre")
    run(mailbox)
    keys = dict(MessageSummary.objects.values_list("subject", "thread_key"))
    assert keys["Racine"] == keys["Re: Racine"] == keys["Re: Re: Racine"] != keys["Autre"]


def test_incremental_sync_sees_new_flags_expunge_and_move(mailbox: Mailbox) -> None:
    uids = [append(ADDRESS, subject=f"m{i}") for i in range(5)]
    run(mailbox)
    client = imap_plain(ADDRESS)
    client.select_folder("INBOX")
    client.add_flags([uids[0]], [imapclient.FLAGGED, imapclient.SEEN])  # another client flags
    client.add_flags([uids[1]], [imapclient.DELETED])
    client.expunge()
    client.move([uids[2]], "Archive")
    client.logout()
    append(ADDRESS, subject="nouveau")
    report = run(mailbox)
    modes = {f.name: f.mode for f in report.folders}
    assert modes["INBOX"] == "incremental" and modes["Archive"] == "incremental"
    assert modes["Sent"] == "unchanged"
    assert index_state(ADDRESS) == server_state(ADDRESS)
    assert MessageSummary.objects.get(folder=folder(mailbox), uid=uids[0]).flagged
    assert folder(mailbox).unread == 3


def test_no_change_sync_opens_no_folder(mailbox: Mailbox) -> None:
    append(ADDRESS)
    run(mailbox)
    report = run(mailbox)
    assert not report.changed
    assert report.round_trips <= 2  # ENABLE + STATUS/LIST pipelined (the login is on top)


def test_statuses_of_a_known_mailbox_match_list_status_and_follow_folder_changes(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipelined STATUS-INBOX-first form gives what LIST-STATUS gives, in one round
    trip, with the INBOX asked before anything else (Dovecot's slow path comes after);
    a known folder deleted meanwhile disappears without an error, a new one gets a status."""
    from mailproto.imap import AuthMode, ImapCredentials, ImapEndpoint, imap_connect
    from tests.conftest import ENV, PORTS

    append(ADDRESS, subject="un")
    append(ADDRESS, "Archive", flags=(b"\\Seen",), subject="deux")
    client = imap_plain(ADDRESS)
    client.create_folder("Ancien")
    client.logout()
    run(mailbox)
    known = list(Folder.objects.filter(mailbox=mailbox, selectable=True).values_list("name", flat=True))
    assert "Ancien" in known and "INBOX" in known
    client = imap_plain(ADDRESS)
    client.delete_folder("Ancien")
    client.create_folder("Nouveau")
    client.logout()
    append(ADDRESS, "Nouveau", subject="trois")
    sent: list[list[bytes]] = []
    pipeline = wire.pipeline

    def recording(imap: Any, lines: list[bytes], counter: Any = None) -> Any:
        sent.append(lines)
        return pipeline(imap, lines, counter)

    monkeypatch.setattr(wire, "pipeline", recording)

    def statuses(known: list[str]) -> tuple[list[Any], int]:
        session = ImapSession(imap_connect(
            ImapEndpoint("127.0.0.1", PORTS.imaps, "ssl", ca_file=ENV["MSSANTE_TLS_CA_FILE"]),
            ImapCredentials(ADDRESS, AuthMode.PLAIN, "devstack")))
        try:
            session.enable_extensions()
            before = session.round_trips.count
            found = sorted(session.folder_statuses(known=known), key=lambda s: s.name)
            return found, session.round_trips.count - before
        finally:
            session.close()

    listed, listed_trips = statuses([])
    assert not sent and listed_trips == 1  # LIST-STATUS
    pipelined, trips = statuses(known)
    assert pipelined == listed and trips == 2  # one pipelined round trip + the new folder's STATUS
    assert sent[0][0].startswith(b'STATUS "INBOX" ') and sent[0][1].startswith(b"LIST ")
    names = {s.name: s for s in pipelined}
    assert "Ancien" not in names and names["Nouveau"].messages == 1
    assert names["Archive"].messages == 1 and names["Archive"].unseen == 0
    assert names["INBOX"].role == "inbox" and names["Archive"].role == "archive"


def test_uidvalidity_change_rebuilds_the_folder(mailbox: Mailbox) -> None:
    client = imap_plain(ADDRESS)
    client.create_folder("Dossiers patients")
    client.logout()
    append(ADDRESS, "Dossiers patients", subject="ancien 1")
    append(ADDRESS, "Dossiers patients", subject="ancien 2")
    run(mailbox)
    before = folder(mailbox, "Dossiers patients").uidvalidity
    client = imap_plain(ADDRESS)
    client.delete_folder("Dossiers patients")
    client.create_folder("Dossiers patients")
    client.logout()
    append(ADDRESS, "Dossiers patients", subject="nouveau")
    report = run(mailbox)
    rebuilt = folder(mailbox, "Dossiers patients")
    assert rebuilt.uidvalidity != before
    assert {f.name: f.mode for f in report.folders}["Dossiers patients"] == "reset"
    assert list(MessageSummary.objects.filter(folder=rebuilt).values_list("subject", flat=True)) == ["nouveau"]


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_connection_killed_mid_sync_then_converges_without_duplicates(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, writer: str) -> None:
    total = 40
    for i in range(total):
        append(ADDRESS, subject=f"lot {i}")
    # 14 batches: more than the reader thread can have sent when the connection dies after
    # the first piece (the pieces waiting for the caller, the one it holds, the commands in
    # flight), so FETCHes are still to be sent, whatever the timing. (With 6 batches, all
    # could be read before the first piece was handed over, and the sync then succeeded.)
    monkeypatch.setattr(sync.TUNING, "first_batch", 1)
    monkeypatch.setattr(sync.TUNING, "batch", 3)
    assert 1 + -(-(total - 1) // 3) > wire.WAITING_PIECES + 1 + wire.AHEAD
    monkeypatch.setattr(sync.TUNING, "rows_per_insert", 2)  # full multi-row INSERTs and a remainder
    # The index is written by a thread, or by a forked process as for big initial syncs.
    monkeypatch.setattr(sync.TUNING, "process_writer_min_messages", 2)
    monkeypatch.setattr(settings, "MSSANTE_SYNC_WRITER_PROCESS", writer == "process")
    used: list[str] = []
    choose = sync.writers.index_writer_for

    def recording(*args: Any) -> Any:
        writer = choose(*args)
        used.append(type(writer).__name__)
        return writer

    monkeypatch.setattr(sync.writers, "index_writer_for", recording)
    original = ImapSession.summary_pieces

    def dying(self: ImapSession, batches: Any) -> Any:
        for number, units in enumerate(original(self, batches)):
            yield units
            if number == 0:
                self.connection.sock.shutdown(socket.SHUT_RDWR)  # the network drops under us

    monkeypatch.setattr(ImapSession, "summary_pieces", dying)
    with pytest.raises(MailServerUnavailable):
        run(mailbox)
    inbox = folder(mailbox)
    assert inbox.highestmodseq is None  # not complete: the next run resumes
    assert 0 < MessageSummary.objects.filter(folder=inbox).count() < total  # what arrived is kept
    mailbox.refresh_from_db()
    assert mailbox.sync_failures == 1 and mailbox.next_sync_after and mailbox.last_sync_error
    assert mailbox.last_sync_error_kind == Mailbox.SyncError.SERVER
    monkeypatch.setattr(ImapSession, "summary_pieces", original)
    run(mailbox)
    assert MessageSummary.objects.filter(folder=inbox).count() == total
    assert index_state(ADDRESS) == server_state(ADDRESS)
    mailbox.refresh_from_db()
    assert mailbox.sync_failures == 0 and mailbox.last_sync_at
    assert used[0] == ("ProcessWriter" if writer == "process" else "ThreadWriter")


def test_a_failing_writer_process_fails_the_sync_and_keeps_the_folder_incomplete(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(7):
        append(ADDRESS, subject=f"lot {i}")
    monkeypatch.setattr(sync.TUNING, "first_batch", 2)
    monkeypatch.setattr(sync.TUNING, "batch", 2)
    monkeypatch.setattr(sync.TUNING, "process_writer_min_messages", 2)
    def failing(values: list[object]) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sync.writes, "insert_values", failing)  # inherited by the forked writer
    with pytest.raises(IndexUnavailable, match="disk full"):
        run(mailbox)
    monkeypatch.undo()
    inbox = folder(mailbox)
    assert inbox.highestmodseq is None  # not recorded as complete: the next run starts again
    assert_index_failure_shown(mailbox, "disk full")
    run(mailbox)
    assert index_state(ADDRESS) == server_state(ADDRESS)
    mailbox.refresh_from_db()
    assert mailbox.sync_failures == 0 and not mailbox.last_sync_error_kind


def assert_index_failure_shown(mailbox: Mailbox, detail: str) -> None:
    """Recorded as our side's failure, backing off, and said so in the folder pane."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    mailbox.refresh_from_db()
    assert mailbox.last_sync_error_kind == Mailbox.SyncError.INDEX
    assert mailbox.sync_failures == 1 and mailbox.next_sync_after and detail in mailbox.last_sync_error
    assert mailbox.sync_running_since is None
    with translation.override("fr"):
        pane = render_to_string("webmail/_folders.html", {
            "mailbox": mailbox, "folders": list(Folder.objects.filter(mailbox=mailbox)),
            "folder": folder(mailbox)}, request=RequestFactory().get("/"))
    assert "La liste n'a pas pu être mise à jour de notre côté" in pane.replace("&#x27;", "'")
    retry = timezone.localtime(mailbox.next_sync_after).strftime("%H:%M")
    assert f"Nouvel essai automatique à {retry}." in pane
    assert "ne répond pas" not in pane and "Réessayer" in pane


def test_a_database_error_while_indexing_is_shown_as_ours_and_retried_later(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from django.db import OperationalError

    for i in range(3):
        append(ADDRESS, subject=f"lot {i}")

    def full(values: list[object]) -> int:
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(sync.writes, "insert_values", full)
    assert services.mailbox_sync_in_worker(mailbox_id=mailbox.pk) == "index-failed"  # the worker's task
    assert "failed writing the index" in caplog.text and "disk is full" in caplog.text
    assert_index_failure_shown(mailbox, "disk is full")
    # Backing off: neither beat nor opening a folder asks a worker for a sync meanwhile.
    assert mailbox.pk not in {pk for pk, _ in services.mailbox_sync_candidates(now=timezone.now())}
    assert services.mailbox_sync_enqueue(mailbox=mailbox, session_key=None, debounce=1) is False
    # The operator finds it in the admin, filtered by whose side failed.
    from django.contrib.auth import get_user_model
    from django.test import Client

    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("ops", "ops@example.test", "x"))
    listing = admin.get("/admin/mail/mailbox/", {"last_sync_error_kind": "index"}).content.decode()
    assert ADDRESS in listing
    assert ADDRESS not in admin.get("/admin/mail/mailbox/", {"last_sync_error_kind": "server"}).content.decode()
    monkeypatch.undo()
    run(mailbox)
    assert index_state(ADDRESS) == server_state(ADDRESS)
    mailbox.refresh_from_db()
    assert mailbox.next_sync_after is None  # the backoff ends with a good sync
    assert services.mailbox_sync_enqueue(mailbox=mailbox, session_key=None, debounce=1) is True


def test_a_hung_writer_process_is_killed_and_the_sync_fails_instead_of_waiting_forever(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for i in range(7):
        append(ADDRESS, subject=f"lot {i}")
    monkeypatch.setattr(sync.TUNING, "first_batch", 2)
    monkeypatch.setattr(sync.TUNING, "batch", 2)
    monkeypatch.setattr(sync.TUNING, "process_writer_min_messages", 2)
    monkeypatch.setattr(sync.TUNING, "writer_stall_seconds", 1.0)
    monkeypatch.setattr(sync.TUNING, "writer_watch_seconds", 0.1)
    monkeypatch.setattr(sync.writes, "insert_values", lambda values: time.sleep(3600))  # never returns
    started = time.monotonic()
    with pytest.raises(IndexUnavailable, match="exited"):
        run(mailbox)
    assert time.monotonic() - started < 30
    assert "stored nothing" in caplog.text
    monkeypatch.undo()
    assert folder(mailbox).highestmodseq is None  # incomplete: the next run starts again
    assert_index_failure_shown(mailbox, "exited")
    run(mailbox)
    assert index_state(ADDRESS) == server_state(ADDRESS)


def test_index_writes_skip_rows_already_stored(mailbox: Mailbox, caplog: pytest.LogCaptureFixture) -> None:
    """Bulk writes (COPY on PostgreSQL, multi-row INSERTs on SQLite) store each row once even
    when another writer stored some of them first: the COPY is refused as a whole and the
    batch goes through INSERT ... ON CONFLICT DO NOTHING."""
    from django.db import connection, transaction

    from mailproto.imap.summaries import SummaryRecord
    box_folder = Folder.objects.create(mailbox=mailbox, name="Lot")
    when = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
    records = [SummaryRecord(uid, 0, f"<{uid}@x>", "", "", f"t{uid}", when, "A", "a@x", "", "", f"n° {uid}",
                             10, uid % 2 == 0, False, False, False, "", False, False, False, False, "", False)
               for uid in range(1, 1201)]
    with transaction.atomic():
        assert sync.writes.insert_summaries(box_folder.pk, records[:700]) == 700
    assert "refused" not in caplog.text  # the fast path when nothing is in the way
    with transaction.atomic():
        sync.writes.insert_summaries(box_folder.pk, records[500:])  # 200 rows already there
    rows = MessageSummary.objects.filter(folder=box_folder)
    assert rows.count() == 1200 and rows.filter(seen=True).count() == 600
    assert rows.get(uid=1000).date == when and rows.get(uid=1000).subject == "n° 1000"
    assert ("refused" in caplog.text) == (connection.vendor == "postgresql")
    # A NUL from a server that passes it through (Dovecot sends 0x80): PostgreSQL text
    # cannot hold it, so it is replaced rather than failing the sync at every run.
    nul = records[0]._replace(uid=5000, subject="avant\x00après", sender_name="A\x00B")
    with transaction.atomic():
        sync.writes.insert_summaries(box_folder.pk, [nul])
    stored = rows.get(uid=5000)
    if connection.vendor == "postgresql":
        assert (stored.subject, stored.sender_name) == ("avant\ufffdaprès", "A\ufffdB")
        assert "NUL characters" in caplog.text
    else:  # SQLite stores it as it came
        assert stored.subject == "avant\x00après"


@pytest.mark.parametrize("extensions", ["condstore-only", "none"])
def test_servers_without_qresync_or_condstore_still_converge(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, extensions: str) -> None:
    def limited(self: ImapSession) -> None:
        if extensions == "condstore-only":
            self._command(b"ENABLE CONDSTORE")
            self.condstore = True

    monkeypatch.setattr(ImapSession, "enable_extensions", limited)
    uids = [append(ADDRESS, subject=f"f{i}") for i in range(4)]
    run(mailbox)
    client = imap_plain(ADDRESS)
    client.select_folder("INBOX")
    client.add_flags([uids[0]], [imapclient.FLAGGED])
    client.delete_messages([uids[1]])
    client.expunge()
    client.logout()
    append(ADDRESS, subject="nouveau")
    report = run(mailbox)
    expected = "incremental" if extensions == "condstore-only" else "full-diff"
    assert {f.name: f.mode for f in report.folders}["INBOX"] == expected
    assert index_state(ADDRESS) == server_state(ADDRESS)


@pytest.mark.requirement("ECO.1.2.7")
def test_token_expiry_mid_sync_retries_once_with_a_fresh_token(psc_sim: PSCSim) -> None:
    gp = IDENTITIES["gp"]["mailbox"]
    mailbox = Mailbox.objects.create(address=gp, auth_mode=Mailbox.AuthMode.PSC_XOAUTH2)
    asked: list[bool] = []

    def provider(force: bool) -> str:
        asked.append(force)
        return psc_sim.mint("gp", lifetime=120 if force else -10)

    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox, token_provider=provider))
    assert asked == [False, True]
    assert Folder.objects.get(mailbox=mailbox, name="INBOX").total >= 1


def test_a_token_refused_even_fresh_is_recorded_as_access_refused(psc_sim: PSCSim, demo_accounts: None,
                                                                  client: Any) -> None:
    """Expired both times: one retry, then the pane asks to sign in again (not "the server
    is not answering", and no automatic retry time: only signing in again helps), and
    signing in again asks for a sync despite the backoff."""
    import redis
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    from apps.core.errors import MailAuthError
    from tests.conftest import django_signin

    mailbox = Mailbox.objects.get(address=IDENTITIES["gp"]["mailbox"])
    asked: list[bool] = []

    def provider(force: bool) -> str:
        asked.append(force)
        return psc_sim.mint("gp", lifetime=-10)

    with pytest.raises(MailAuthError):
        services.mailbox_sync(access=services.MailAccess(mailbox=mailbox, token_provider=provider))
    assert asked == [False, True]
    mailbox.refresh_from_db()
    assert mailbox.last_sync_error_kind == Mailbox.SyncError.AUTH and mailbox.sync_failures == 1
    with translation.override("fr"):
        pane = render_to_string("webmail/_folders.html", {"mailbox": mailbox, "folders": [], "folder": None},
                                request=RequestFactory().get("/")).replace("&#x27;", "'")
    assert "Votre opérateur a refusé l'accès à cette boîte. Reconnectez-vous" in pane
    assert "ne répond pas" not in pane and "Nouvel essai automatique" not in pane
    asked = redis.Redis.from_url(settings.REDIS_URL)
    key = f"mssweb:sync-asked:{mailbox.pk}:"
    asked.delete(key)
    assert services.mailbox_sync_enqueue(mailbox=mailbox, session_key=None) is False  # backing off
    django_signin(client, "gp")
    assert asked.exists(key)  # the sign-in asked for a sync all the same


def test_only_one_sync_per_mailbox_at_a_time(mailbox: Mailbox) -> None:
    append(ADDRESS)
    with services.mailbox_sync_lock(mailbox_id=mailbox.pk) as held:
        assert held
        assert services.mailbox_sync_in_worker(mailbox_id=mailbox.pk) == "skipped"
    results: list[str] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        results.append(services.mailbox_sync_in_worker(mailbox_id=mailbox.pk))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert "done" in results and all(r in ("done", "skipped") for r in results)
    assert MessageSummary.objects.filter(folder__mailbox=mailbox).count() == 1


def test_user_actions_reach_server_and_index_at_once(mailbox: Mailbox) -> None:
    uids = [append(ADDRESS, subject=f"a{i}") for i in range(3)]
    run(mailbox)
    inbox, archive = folder(mailbox), folder(mailbox, "Archive")
    services.message_flag_set(access=services.MailAccess(mailbox=mailbox), folder=inbox, uids=[uids[0]], flag="seen", value=True)
    services.message_flag_set(access=services.MailAccess(mailbox=mailbox), folder=inbox, uids=[uids[1]], flag="flagged", value=True)
    services.message_move(access=services.MailAccess(mailbox=mailbox), folder=inbox, uids=[uids[2]], destination=archive)
    assert MessageSummary.objects.get(folder=inbox, uid=uids[0]).seen
    assert not MessageSummary.objects.filter(folder=inbox, uid=uids[2]).exists()
    assert Folder.objects.get(pk=inbox.pk).unread == 1
    server = server_state(ADDRESS)
    assert server["INBOX"][uids[0]] == (True, False) and server["INBOX"][uids[1]] == (False, True)
    assert len(server["Archive"]) == 1
    # The row followed the message (COPYUID): in Archive under its new UID before any sync.
    moved = MessageSummary.objects.get(folder=archive)
    assert moved.subject == "a2" and moved.uid == next(iter(server["Archive"]))
    assert index_state(ADDRESS) == server
    run(mailbox)
    assert index_state(ADDRESS) == server_state(ADDRESS)


@pytest.mark.requirement("ECO.1.2.3")
def test_server_down_records_backoff(mailbox: Mailbox) -> None:
    mailbox.imap_port = 1
    mailbox.save()
    with pytest.raises(MailServerUnavailable):
        run(mailbox)
    with pytest.raises(MailServerUnavailable):
        run(mailbox)
    mailbox.refresh_from_db()
    assert mailbox.sync_failures == 2 and mailbox.sync_running_since is None
    from django.utils import timezone
    assert mailbox.next_sync_after is not None
    delay = (mailbox.next_sync_after - timezone.now()).total_seconds()
    assert 40 < delay <= 60  # 30 s, then 60 s
    assert services.mailbox_sync_candidates() == []  # beat waits for the backoff


def test_pooled_session_checks_with_one_noop_and_still_sees_every_change(mailbox: Mailbox) -> None:
    services.POOL.clear()
    uids = [append(ADDRESS, subject=f"p{i}") for i in range(3)]

    def pooled() -> sync.SyncReport:
        return services.mailbox_sync(access=services.MailAccess(mailbox=mailbox, pool_key="test"))

    pooled()
    quiet = pooled()
    assert not quiet.changed and quiet.round_trips == 1  # NOOP + LIST + STATUS, pipelined
    append(ADDRESS, subject="arrivé pendant la session")
    assert {f.name: f.mode for f in pooled().folders}["INBOX"] == "incremental"
    client = imap_plain(ADDRESS)
    client.select_folder("INBOX")
    client.add_flags([uids[0]], [imapclient.FLAGGED])
    client.move([uids[1]], "Archive")
    client.create_folder("Nouveau dossier")
    client.logout()
    pooled()
    assert index_state(ADDRESS) == server_state(ADDRESS)
    assert folder(mailbox, "Nouveau dossier")  # a created folder forces the full path
    append(ADDRESS, "Archive", subject="ailleurs")
    report = pooled()
    assert {f.name: f.mode for f in report.folders}["Archive"] == "incremental"
    assert index_state(ADDRESS) == server_state(ADDRESS)
    services.POOL.clear()


def test_idle_wakes_up_when_mail_arrives_over_smtp(mailbox: Mailbox) -> None:
    import smtplib

    from mailproto.imap import AuthMode, ImapCredentials, ImapEndpoint, imap_connect
    from mailproto.imap.idle import idle_wait
    from tests.conftest import ENV, PORTS

    session = ImapSession(imap_connect(
        ImapEndpoint("127.0.0.1", PORTS.imaps, "ssl", ca_file=ENV["MSSANTE_TLS_CA_FILE"]),
        ImapCredentials(ADDRESS, AuthMode.PLAIN, "devstack")))
    try:
        assert idle_wait(session, "INBOX", timeout=0.3) is False  # nothing happens
        sender = threading.Timer(0.3, lambda: smtplib.SMTP("127.0.0.1", PORTS.smtp_in).sendmail(
            "julien.petit@hopital.mssante.test", [ADDRESS], b"Subject: idle\r\n\r\nBonjour\r\n"))
        sender.start()
        started = time.monotonic()
        assert idle_wait(session, "INBOX", timeout=10) is True
        assert time.monotonic() - started < 5
        sender.join()
    finally:
        session.close()


def test_streamed_fetches_stop_early_and_leave_the_connection_ready(mailbox: Mailbox) -> None:
    """The reader thread keeps two FETCHes in flight: a caller that stops after the first
    answer must still find the connection in step (every in-flight answer read)."""
    from mailproto.imap import wire

    for i in range(4):
        append(ADDRESS, subject=f"flux {i}")
    client = imap_plain(ADDRESS)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
        lines = [b"UID FETCH %d (UID FLAGS)" % uid for uid in uids]
        conn = wire.Connection.take_over(client.socket(), literal_plus=True)
        stream = wire.stream(conn, lines)
        first_line, first = next(stream)
        assert first_line == lines[0] and first.status == b"OK" and first.units
        stream.close()  # the caller gives up: the thread drains what it already sent
        after = wire.command(conn, b"NOOP")
        assert after.status == b"OK"
        answers = list(wire.stream(conn, lines))
        assert [line for line, _ in answers] == lines and all(r.status == b"OK" for _, r in answers)
        # Dovecot may interleave pipelined answers: every FETCH arrives once, in some batch.
        fetched = sorted(int(unit[0].split(b"UID ")[1].split(b" ")[0])
                         for _, response in answers for unit in response.units)
        assert fetched == sorted(uids)
        # Long answers come in pieces as they arrive (here one unit each), then the
        # completion: the caller parses the first messages while the rest is on its way.
        pieces = list(wire.stream(conn, [b"UID FETCH 1:* (UID FLAGS)", b"NOOP"], every=1))
        partial = [response for _, response in pieces if not response.status]
        assert len(partial) >= len(uids) - 1 and all(len(r.units) == 1 for r in partial)
        assert [r.status for _, r in pieces if r.status] == [b"OK", b"OK"]
        streamed = sorted(int(unit[0].split(b"UID ")[1].split(b" ")[0])
                          for _, response in pieces for unit in response.units)
        assert streamed == sorted(uids)
        conn.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        with pytest.raises(Exception, match="connection"):
            list(wire.stream(conn, lines))
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def test_a_message_that_arrived_after_the_folder_was_opened_can_be_read(mailbox: Mailbox) -> None:
    """A pooled connection keeps the folder it opened earlier: a message delivered since is
    still fetched (not mistaken for a deleted one)."""
    append(ADDRESS, subject="avant")
    with services.mailbox_session(access=services.MailAccess(mailbox=mailbox, pool_key="lecteur")) as session:
        session.examine("INBOX")
    uid = append(ADDRESS, subject="arrivé après", body="Nouveau texte.\n")
    with services.mailbox_session(access=services.MailAccess(mailbox=mailbox, pool_key="lecteur")) as session:
        raw = session.fetch_raw("INBOX", uid)
        assert raw is not None and b"Nouveau texte." in raw
        assert session.fetch_raw("INBOX", uid + 100) is None  # really absent: still None
