"""The audit trail (issue 15, part): ``audit_log`` writes one row per event; rows are never
changed or deleted, through the ORM, the admin, or (on PostgreSQL) raw SQL; the retention
purge deletes what is past it and nothing else."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from apps.audit.models import AppendOnly, AuditEvent
from apps.audit.services import audit_log, audit_purge
from tests.conftest import PSCSim, django_signin

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_sign_in_writes_one_event_with_its_fields(client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    before = AuditEvent.objects.filter(event="signin").count()
    django_signin(client, "gp")
    events = AuditEvent.objects.filter(event="signin")
    assert events.count() == before + 1
    assert events.first().actor == "899700123450"  # type: ignore[union-attr]
    audit_log(event="message_moved", actor="899700123450", mailbox="claire.martin@medecin.mssante.test",
              target="<a@b>", outcome="ok", client_ip="127.0.0.1", folder="Archive")
    moved = AuditEvent.objects.get(event="message_moved")
    assert (moved.mailbox, moved.target, moved.outcome, moved.client_ip, moved.details) == (
        "claire.martin@medecin.mssante.test", "<a@b>", "ok", "127.0.0.1", {"folder": "Archive"})


def test_a_sign_out_writes_one_event_with_its_request_id(client: Client, psc_sim: PSCSim,
                                                         demo_accounts: None) -> None:
    django_signin(client, "nurse")
    before = AuditEvent.objects.filter(event="signout").count()
    response = client.post("/oidc/logout/", HTTP_X_REQUEST_ID="proxy-req-42")
    events = AuditEvent.objects.filter(event="signout")
    assert events.count() == before + 1
    event = events.first()
    assert event is not None and (event.actor, event.client_ip, event.request_id) == (
        "899700234562", "127.0.0.1", "proxy-req-42")
    assert response["X-Request-ID"] == "proxy-req-42"
    # A request id that is not a plain token is replaced, never stored as given.
    django_signin(client, "nurse")
    client.post("/oidc/logout/", HTTP_X_REQUEST_ID="a b\r\nInjected: yes")
    latest = AuditEvent.objects.filter(event="signout").first()
    assert latest is not None and len(latest.request_id) == 32 and latest.request_id.isalnum()


@pytest.mark.requirement("ECO.4.1.2")
def test_events_are_never_changed_or_deleted() -> None:
    audit_log(event="signin", actor="x")
    event = AuditEvent.objects.get(actor="x")
    event.actor = "y"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(actor="y")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    # Raw SQL: UPDATE refused by the database on both engines, DELETE on PostgreSQL.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor = 'y' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor == "x"


def test_no_session_deletes_a_recent_event_even_with_the_purge_flag() -> None:
    """Issue 27, point 10: any session could ``SET LOCAL mssweb.audit_purge = 'on'`` and
    delete recent events on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: DELETE is refused by the model layer only (Django's test flush deletes rows there)")
    audit_log(event="signin", actor="recent-one")
    event = AuditEvent.objects.get(actor="recent-one")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL mssweb.audit_purge = 'on'")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_sites_role_deletes_only_through_the_purge_function() -> None:
    """Issue 27, point 10: the purge's flag was a setting any session could switch on from
    SQL, and TRUNCATE was not covered. A role that is not the migration role (the site's, in
    the documented deployment), granted every table privilege, still deletes nothing but
    through ``audit_purge_before``, and that function never past the 30-day floor."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: DELETE is refused by the model layer only (Django's test flush deletes rows there)")
    now = timezone.now()
    with connection.cursor() as cursor:
        for days, actor in ((40, "old-one"), (35, "old-two"), (5, "recent")):
            cursor.execute("INSERT INTO audit_auditevent (at, event, actor, mailbox, target, outcome, details) "
                           "VALUES (%s, 'signin', %s, '', '', '', '{}')", [now - dt.timedelta(days=days), actor])

    def refused(cursor: object, sql: str, params: list[object] | None = None) -> None:
        with pytest.raises(DatabaseError, match="append-only|purge refused"), transaction.atomic():
            cursor.execute(sql, params or [])  # type: ignore[attr-defined]

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE mssweb_test_site NOLOGIN")  # rolled back with the test
        cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_auditevent TO mssweb_test_site")
        cursor.execute("GRANT EXECUTE ON FUNCTION audit_purge_before(timestamptz) TO mssweb_test_site")
        cursor.execute("SET LOCAL ROLE mssweb_test_site")
        cursor.execute("SET LOCAL mssweb.audit_purge = 'on'")
        refused(cursor, "DELETE FROM audit_auditevent WHERE actor = 'old-one'")
        refused(cursor, "TRUNCATE audit_auditevent")
        refused(cursor, "SELECT audit_purge_before(%s)", [now - dt.timedelta(days=10)])
        cursor.execute("SELECT audit_purge_before(%s)", [now - dt.timedelta(days=38)])
        assert cursor.fetchone()[0] == 1
        cursor.execute("RESET ROLE")
    # The tables' owner cannot TRUNCATE either (it could only drop the trigger first).
    with connection.cursor() as cursor:
        refused(cursor, "TRUNCATE audit_auditevent")
    assert sorted(AuditEvent.objects.filter(actor__in=["old-one", "old-two", "recent"])
                  .values_list("actor", flat=True)) == ["old-two", "recent"]


@pytest.mark.requirement("ECO.4.1.2")
def test_the_purge_deletes_only_what_is_past_the_retention(settings: object) -> None:
    settings.MSSANTE_AUDIT_RETENTION_DAYS = 30  # type: ignore[attr-defined]
    now = timezone.now()
    with connection.cursor() as cursor:
        for days, actor in ((40, "old"), (20, "recent")):
            cursor.execute("INSERT INTO audit_auditevent (at, event, actor, mailbox, target, outcome, details) "
                           "VALUES (%s, 'signin', %s, '', '', '', '{}')", [now - dt.timedelta(days=days), actor])
    assert audit_purge(now=now) == 1
    assert list(AuditEvent.objects.filter(actor__in=["old", "recent"]).values_list("actor", flat=True)) == ["recent"]


def test_the_admin_shows_events_read_only(client: Client) -> None:
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.test", "x" * 20))
    audit_log(event="signin", actor="899700123450")
    assert "899700123450" in client.get("/admin/audit/auditevent/").content.decode()
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    event = AuditEvent.objects.get(actor="899700123450")
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_failed_write_never_breaks_the_action(monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    def broken(**kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(AuditEvent.objects, "create", broken)
    audit_log(event="signin", actor="x")  # no exception
    assert "audit event signin not stored: DatabaseError: disk full" in caplog.text


@pytest.fixture
def one_message(client: Client, psc_sim: PSCSim, demo_accounts: None) -> tuple[object, object, int, str]:
    """A message with a PDF in the synchro@ mailbox Claire opens (signed in)."""
    from apps.mail.models import Folder, MessageSummary
    from tests.integration.mail_server import append, reset_mailbox, synchro_inbox

    reset_mailbox("synchro@medecin.mssante.test")
    append("synchro@medecin.mssante.test", subject="Compte rendu audité",
           attachment=("cr.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"))
    box, inbox = synchro_inbox(expected=1)
    from apps.mail import services

    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    django_signin(client, "gp")
    summary = MessageSummary.objects.get(folder=inbox)
    assert Folder.objects.filter(mailbox=box, role="archive").exists()
    return box, inbox, summary.uid, summary.message_id


def events(event: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=event).order_by("pk"))


@pytest.mark.requirement("ECO.4.1.1")
def test_reading_a_message_writes_one_event(client: Client, one_message: tuple) -> None:  # type: ignore[type-arg]
    box, inbox, uid, message_id = one_message
    assert client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/").status_code == 200
    (read,) = events("message_read")
    assert (read.actor, read.mailbox, read.target, read.outcome, read.client_ip) == (
        "899700123450", "synchro@medecin.mssante.test", message_id, "ok", "127.0.0.1")
    client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/contenu/")  # the frame: no second event
    assert len(events("message_read")) == 1


@pytest.mark.requirement("ECO.4.1.1")
def test_downloading_an_attachment_writes_one_event(client: Client, one_message: tuple) -> None:  # type: ignore[type-arg]
    box, inbox, uid, message_id = one_message
    page = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/").content.decode()
    part = page.split(f"/message/{uid}/piece/")[1].split("/")[0]
    assert client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/piece/{part}/").status_code == 200
    (downloaded,) = events("attachment_downloaded")
    assert downloaded.target == message_id and downloaded.details["filename"] == "cr.pdf"


@pytest.mark.requirement("ECO.4.1.1")
@pytest.mark.parametrize(("action", "event"), [("archive", "message_moved"), ("delete", "message_deleted")])
def test_moving_and_deleting_write_one_event_each(client: Client, one_message: tuple,  # type: ignore[type-arg]
                                                  action: str, event: str) -> None:
    box, inbox, uid, message_id = one_message
    response = client.post(f"/bal/{box.pk}/dossier/{inbox.pk}/actions/", {"uid": [str(uid)], "action": action})
    assert response.status_code == 302
    (done,) = events(event)
    assert done.target == message_id and done.details["count"] == 1 and done.details["folder"] == "INBOX"
    client.post(f"/bal/{box.pk}/dossier/{inbox.pk}/actions/", {"uid": [str(uid)], "action": "read"})
    assert AuditEvent.objects.exclude(event__in=["signin", "message_moved", "message_deleted",
                                                 "message_marked"]).count() == 0


@pytest.mark.requirement("ECO.4.1.1")
def test_every_other_mailbox_action_writes_its_event(client: Client, one_message: tuple,  # type: ignore[type-arg]
                                                      trust_data: None) -> None:
    """Marks, folders, drafts and the out-of-office reply are mailbox actions too: each
    server request leaves one event naming who, on which mailbox, what."""
    import datetime as dt

    from django.utils import timezone

    from apps.mail.models import Folder, Mailbox
    from tests.conftest import IDENTITIES

    box, inbox, uid, message_id = one_message
    for action in ("flag", "unread"):
        client.post(f"/bal/{box.pk}/dossier/{inbox.pk}/actions/", {"uid": [str(uid)], "action": action})
    assert [(e.target, e.details["action"]) for e in events("message_marked")] == [
        (message_id, "flag"), (message_id, "unread")]
    name = f"Audit {uuid.uuid4().hex[:6]}"
    client.post(f"/bal/{box.pk}/dossiers/", {"action": "create", "name": name})
    created = Folder.objects.get(mailbox=box, name=name)
    client.post(f"/bal/{box.pk}/dossiers/", {"action": "rename", "folder": created.pk, "name": name + " bis"})
    client.post(f"/bal/{box.pk}/dossiers/", {"action": "delete", "folder": created.pk})
    assert [(e.mailbox, e.target, e.details.get("action"), e.details.get("new_name")) for e in
            events("folder_changed")] == [(box.address, name, "create", None),
                                          (box.address, name, "rename", name + " bis"),
                                          (box.address, name + " bis", "delete", None)]
    saved = client.post("/ecrire/brouillon/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": name,
                                               "body": "brouillon"}).json()
    (draft,) = events("draft_saved")
    assert draft.target == f"uid:{saved['draft_uid']}" and draft.actor == "899700123450"
    own = Mailbox.objects.get(address=IDENTITIES["gp"]["mailbox"])
    end = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    client.post(f"/parametres/absence/{own.pk}/", {"action": "on", "start": timezone.localdate().isoformat(),
                                                    "end": end, "subject": "Absente", "text": "Absente.",
                                                    "days": "1"})
    client.post(f"/parametres/absence/{own.pk}/", {"action": "off"})
    assert [(e.mailbox, e.outcome) for e in events("vacation_changed")] == [(own.address, "on"),
                                                                            (own.address, "off")]


@pytest.mark.requirement("ECO.4.1.1")
def test_sending_writes_one_event(client: Client, psc_sim: PSCSim, demo_accounts: None, trust_data: None) -> None:
    import uuid

    from apps.mail import services
    from apps.mail.models import OutboxMessage
    from tests.conftest import IDENTITIES

    django_signin(client, "gp")
    subject = f"Audit envoi {uuid.uuid4().hex[:6]}"
    client.post("/ecrire/", {"to": [IDENTITIES["nurse"]["mailbox"]], "subject": subject, "body": "x"})
    outgoing = OutboxMessage.objects.get(subject=subject)
    assert services.outbox_process(outbox_id=outgoing.pk) == "sent"
    (sent,) = events("message_sent")
    assert (sent.actor, sent.mailbox, sent.target, sent.outcome, sent.details) == (
        "899700123450", IDENTITIES["gp"]["mailbox"], outgoing.message_id, "sent", {"recipients": 1})


@pytest.mark.parametrize("headers", [
    {"HTTP_SEC_FETCH_DEST": "image"},  # <img src="https://site/bal/…/message/U/"> in a message whose images show
    {"HTTP_SEC_FETCH_DEST": "document", "HTTP_SEC_PURPOSE": "prefetch"},
    {"HTTP_SEC_FETCH_DEST": "empty"},  # a script's fetch
    {"HTTP_SEC_FETCH_DEST": ""},  # no Fetch Metadata (the test client sends "document" by default)
])
def test_a_get_that_is_not_the_person_opening_the_page_changes_nothing(
        client: Client, one_message: tuple, headers: dict[str, str]) -> None:  # type: ignore[type-arg]
    """Issue 27, point 2: opening the message page from an image forged a ``message_read``
    event and set \\Seen; the attachment URL forged ``attachment_downloaded``."""
    from apps.mail.models import MessageSummary
    from tests.integration.mail_server import server_state

    box, inbox, uid, _message_id = one_message
    before = AuditEvent.objects.count()
    page = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/", **headers)
    assert page.status_code == 200
    part = page.content.decode().split(f"/message/{uid}/piece/")[1].split("/")[0]
    assert client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/piece/{part}/", **headers).status_code == 200
    assert AuditEvent.objects.count() == before
    assert not MessageSummary.objects.get(folder=inbox, uid=uid).seen
    assert server_state("synchro@medecin.mssante.test", ("INBOX",))["INBOX"][uid][0] is False


def _routes() -> list[str]:
    from django.urls import URLResolver, get_resolver

    def walk(patterns: list, prefix: str = "") -> list[str]:  # type: ignore[type-arg]
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                found.append(prefix + str(pattern.pattern))
        return found
    return [r for r in walk(get_resolver().url_patterns) if not r.startswith(("admin", "static"))]


def test_no_get_of_any_page_changes_state(client: Client, one_message: tuple) -> None:  # type: ignore[type-arg]
    """Issue 27, point 2, across the site: every URL pattern fetched with GET as an image
    would fetch it (a message's <img src>) records no audit event, changes no IMAP flag and
    writes none of the models a person's action writes; the person stays signed in."""
    from apps.mail.models import Delegation, OutboxMessage
    from apps.patients.models import Habilitation, Patient, PatientInformed
    from tests.integration.mail_server import server_state

    box, inbox, uid, _message_id = one_message
    values = {"mailbox_id": box.pk, "folder_id": inbox.pk, "uid": uid, "part_id": "2", "cid": "x", "key": "2-1",
              "ref": "x", "name": "X.PDF", "patient_id": 1, "pk": 1, "ins": "279035121518989", "document_id": 1,
              "message_id": 1}
    models = (AuditEvent, Delegation, OutboxMessage, Habilitation, Patient, PatientInformed)
    before = ({m.__name__: m.objects.count() for m in models}, server_state("synchro@medecin.mssante.test", ("INBOX",)))
    fetched = 0
    for route in _routes():
        url = "/" + route
        for name, value in values.items():
            url = (url.replace(f"<int:{name}>", str(value)).replace(f"<str:{name}>", str(value))
                   .replace(f"<{name}>", str(value)))
        assert "<" not in url, url
        client.get(url, HTTP_SEC_FETCH_DEST="image")
        fetched += 1
    after = ({m.__name__: m.objects.count() for m in models}, server_state("synchro@medecin.mssante.test", ("INBOX",)))
    assert fetched > 40 and after == before
    assert "_auth_user_id" in client.session  # no GET signed the person out
