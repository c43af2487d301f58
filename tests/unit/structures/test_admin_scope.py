"""A structure administrator of A reaches nothing of B through the admin (issue 15).

The test walks the whole admin registry: a model whose admin is not structure-scoped must
be closed to a structure administrator (403 everywhere), so a new model is covered as soon
as it is registered; a scoped one must show A's rows and none of B's, in every way the
admin offers: list, search, filters, object pages, history, delete, actions, form choices
and autocompletes. Every object of B carries a marker in its name; no page the
administrator of A gets may contain one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.api.models import ApiClient
from apps.api.services import api_key_issue
from apps.audit.models import AuditEvent
from apps.core.admin_scope import StructureScopedAdmin
from apps.integration.models import DocumentDelivery, HandedMessage, IntegrationEndpoint, ToolMessage
from apps.mail.admin import SERVER_FIELDS
from apps.mail.models import Delegation, Mailbox
from apps.structures.models import Membership, Structure
from apps.trust.models import DirectoryEntry, WhitelistDomain, WhitelistImport
from tests.conftest import psc_force_login

pytestmark = pytest.mark.django_db

MARKERS = ("Bravo", "BRAVO", "bravo.test", "899700000089", "899700000097")


@dataclass
class World:
    admin_a: User
    a: dict[type[Model], list[Model]] = field(default_factory=dict)
    b: dict[type[Model], list[Model]] = field(default_factory=dict)


def _side(name: str, domain: str, idnats: tuple[str, str], finess: str) -> dict[type[Model], list[Model]]:
    structure = Structure.objects.create(identifier_type="finess", identifier=finess, name=f"EHPAD {name}")
    director = User.objects.create(username=idnats[0], idnat=idnats[0], first_name="Dominique",
                                   last_name=f"{name}-directrice", is_staff=True)
    member = User.objects.create(username=idnats[1], idnat=idnats[1], first_name="Camille",
                                 last_name=f"{name}-educatrice")
    memberships = [Membership.objects.create(user=director, structure=structure, is_admin=True,
                                             profession_code="60"),
                   Membership.objects.create(user=member, structure=structure, profession_code="51")]
    shared = Mailbox.objects.create(address=f"secretariat@{domain}", kind=Mailbox.Kind.ORGANISATIONAL,
                                    structure=structure, display_name=f"Secrétariat {name}",
                                    imap_host=f"imap.{domain}")
    delegation = Delegation.objects.create(mailbox=shared, user=member, rights=Delegation.Rights.SEND)
    event = AuditEvent.objects.create(event="message_read", actor=member.idnat, mailbox=shared.address,
                                      structure_id=structure.pk)
    link = IntegrationEndpoint.objects.create(mailbox=shared, software=f"DUI {name}", host="127.0.0.1", port=2575)
    handed = HandedMessage.objects.create(endpoint=link, uid=1, message_id=f"<{name}@x>", subject=f"CR {name}")
    delivery = DocumentDelivery.objects.create(message=handed, key="1/IHE_XDM/DOC0001.XML", title=f"CR {name}")
    api_client, _key = api_key_issue(structure=structure, name=f"DUI {name}")
    sent = ToolMessage.objects.create(structure=structure, client=str(api_client), mailbox=shared,
                                      message_id=f"<tool-{name}@x>", subject=f"Envoyé par DUI {name}")
    return {Structure: [structure], User: [director, member], Membership: memberships,
            Mailbox: [shared], Delegation: [delegation], AuditEvent: [event], IntegrationEndpoint: [link],
            HandedMessage: [handed], DocumentDelivery: [delivery], ApiClient: [api_client],
            ToolMessage: [sent]}


@pytest.fixture
def world() -> World:
    a = _side("Alpha", "alpha.test", ("899700000071", "899700000063"), "690000101")
    b = _side("Bravo", "bravo.test", ("899700000089", "899700000097"), "690000119")
    # Rows of no structure: the whitelist, the directory (superusers only).
    WhitelistDomain.objects.create(name="bravo.test", description="Bravo")
    WhitelistImport.objects.create(source="https://bravo.test/liste", ok=True)
    DirectoryEntry.objects.create(address="someone@bravo.test", family_name="BRAVO")
    world = World(admin_a=a[User][0], a=a, b=b)  # type: ignore[arg-type]
    for objects in b.values():
        for obj in objects:
            assert any(m in str(obj) for m in MARKERS), f"{obj!r} carries no marker"
    return world


def _url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _no_marker(html: str, where: str) -> None:
    found = [m for m in MARKERS if m in html]
    assert not found, f"{where} shows {found}"


def _client_for(user: User) -> Client:
    client = Client()
    psc_force_login(client, user)
    return client


def test_every_registered_admin_keeps_b_from_the_administrator_of_a(world: World) -> None:
    client = _client_for(world.admin_a)
    index = client.get("/admin/")
    assert index.status_code == 200
    _no_marker(index.content.decode(), "the admin index")
    scoped_seen = 0
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        changelist = client.get(_url(model, "changelist"))
        if not isinstance(model_admin, StructureScopedAdmin):
            # Not scoped: closed, whatever it holds.
            assert changelist.status_code == 403, label
            for obj in model._default_manager.all()[:3]:
                assert client.get(_url(model, "change", obj.pk)).status_code == 403, label
            continue
        scoped_seen += 1
        assert model in world.b, f"{label} is scoped: give the world a row of it in B and in A"
        assert changelist.status_code == 200, label
        html = changelist.content.decode()
        _no_marker(html, f"{label} list")
        for obj in world.a[model]:
            assert f"/{obj.pk}/change/" in html or model is AuditEvent or model is User, f"{label}: A's row missing"
        _no_marker(client.get(_url(model, "changelist"), {"q": "ravo"}).content.decode(), f"{label} search")
        structure_b = world.b[Structure][0]
        for lookup in ("structure__id__exact", "mailbox__structure__id__exact", "structure_id__exact"):
            _no_marker(client.get(_url(model, "changelist"), {lookup: structure_b.pk}).content.decode(),
                       f"{label} filtered on B")
        for obj in world.b[model]:
            for view in ("change", "delete", "history"):
                response = client.get(_url(model, view, obj.pk))
                assert response.status_code in (302, 403), f"{label} {view} of B: {response.status_code}"
                if response.status_code == 302:
                    assert response["Location"] == reverse("admin:index"), label
            client.post(_url(model, "delete", obj.pk), {"post": "yes"})
            client.post(_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk],
                                                    "post": "yes"})
            assert model._default_manager.filter(pk=obj.pk).exists(), f"{label}: B's row was deleted"
        for obj in world.a[model]:
            page = client.get(_url(model, "change", obj.pk))
            assert page.status_code == 200, f"{label} change of A"
            _no_marker(page.content.decode(), f"{label} page of A's row (its choices)")
        if model_admin.has_add_permission(_request_of(client, world.admin_a)):
            _no_marker(client.get(_url(model, "add")).content.decode(), f"{label} add form")
        for field_name in model_admin.autocomplete_fields:
            answer = client.get("/admin/autocomplete/", {"app_label": model._meta.app_label,
                                                         "model_name": model._meta.model_name,
                                                         "field_name": field_name, "term": ""})
            assert answer.status_code in (200, 403), f"{label}.{field_name} autocomplete"
            _no_marker(json.dumps(answer.json() if answer.status_code == 200 else {}),
                       f"{label}.{field_name} autocomplete")
    assert scoped_seen >= 6


def _request_of(client: Client, user: User) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_servers_and_certificates_are_out_of_reach_of_a_structure_administrator(world: World) -> None:
    client = _client_for(world.admin_a)
    shared = world.a[Mailbox][0]
    page = client.get(_url(Mailbox, "change", shared.pk)).content.decode()
    for name in SERVER_FIELDS:
        assert f'name="{name}"' not in page
    assert "imap.alpha.test" not in page
    response = client.post(_url(Mailbox, "change", shared.pk), {
        "display_name": "Secrétariat renommé", "imap_host": "evil.example.org", "imap_port": "993",
        "auth_mode": "password", "client_cert_file": "/tmp/evil.pem",
        "delegations-TOTAL_FORMS": "0", "delegations-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    shared.refresh_from_db()
    assert shared.display_name == "Secrétariat renommé"
    assert (shared.imap_host, shared.auth_mode, shared.client_cert_file) == (
        "imap.alpha.test", Mailbox.AuthMode.PSC_XOAUTH2, "")


def test_a_structure_administrator_cannot_give_a_delegation_on_or_to_b(world: World) -> None:
    client = _client_for(world.admin_a)
    a_mailbox, b_mailbox = world.a[Mailbox][0], world.b[Mailbox][0]
    a_member, b_member = world.a[User][1], world.b[User][1]
    for mailbox, user in ((b_mailbox, a_member), (a_mailbox, b_member)):
        response = client.post(_url(Delegation, "add"), {"mailbox": mailbox.pk, "user": user.pk, "rights": "send"})
        assert response.status_code == 200  # the form again, with its error
        assert "Sélectionnez un choix valide" in response.content.decode() or "Select a valid choice" in \
            response.content.decode()
        assert not Delegation.objects.filter(mailbox=mailbox, user=user).exists()


def test_a_delegation_given_in_the_admin_is_one_audit_event(world: World) -> None:
    client = _client_for(world.admin_a)
    a_mailbox, director = world.a[Mailbox][0], world.a[User][0]
    before = AuditEvent.objects.count()
    response = client.post(_url(Delegation, "add"), {"mailbox": a_mailbox.pk, "user": director.pk, "rights": "read",
                                                     "ends_on": (dt.date.today() + dt.timedelta(days=30)).isoformat()})
    assert response.status_code == 302, response.content.decode()[:3000]
    events = list(AuditEvent.objects.order_by("-id")[:AuditEvent.objects.count() - before])
    assert [(e.event, e.outcome) for e in events] == [("delegation_changed", "granted")]
    event = events[0]
    assert (event.actor, event.mailbox, event.target, event.structure_id) == (
        director.idnat, a_mailbox.address, director.idnat, world.a[Structure][0].pk)
    assert event.details["rights"] == "read" and event.request_id
    delegation = Delegation.objects.get(mailbox=a_mailbox, user=director)
    assert delegation.granted_by == director
    client.post(_url(Delegation, "delete", delegation.pk), {"post": "yes"})
    assert not Delegation.objects.filter(pk=delegation.pk).exists()
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None and (last.event, last.outcome) == ("delegation_changed", "revoked")
    assert AuditEvent.objects.count() == before + 2


def test_making_someone_administrator_gives_them_the_admin_and_is_audited(world: World) -> None:
    client = _client_for(world.admin_a)
    membership = Membership.objects.get(user=world.a[User][1])
    response = client.post(_url(Membership, "change", membership.pk), {"is_admin": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    member = User.objects.get(pk=world.a[User][1].pk)
    assert member.is_staff
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and (event.event, event.outcome, event.structure_id) == (
        "admin_change", "changed", world.a[Structure][0].pk)
    assert event.target.startswith(f"structures.membership:{membership.pk} ")
    # And back: no structure administered, no admin.
    client.post(_url(Membership, "change", membership.pk), {})
    assert not User.objects.get(pk=member.pk).is_staff


def test_the_audit_csv_export_is_scoped_filtered_safe_and_itself_audited(world: World) -> None:
    client = _client_for(world.admin_a)
    AuditEvent.objects.create(event="message_read", actor="=HYPERLINK(\"http://x\")", structure_id=world.a[Structure][0].pk,
                              mailbox=world.a[Mailbox][0].address)
    page = client.get(_url(AuditEvent, "changelist")).content.decode()
    assert "export.csv" in page
    response = client.get(reverse("admin:audit_auditevent_export"), {"event": "message_read"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("at,event,actor,structure_id,mailbox")
    assert len(lines) == 1 + 2  # A's two reads, none of B's
    _no_marker(text, "the CSV export")
    assert "'=HYPERLINK" in text  # a formula stays text in a spreadsheet
    assert AuditEvent.objects.filter(event="audit_exported", actor=world.admin_a.idnat).count() == 1
    superuser = User.objects.create(username="exploitant", is_staff=True, is_superuser=True)
    root = Client()
    root.force_login(superuser)
    everything = b"".join(root.get(reverse("admin:audit_auditevent_export"), {"event": "message_read"})
                          .streaming_content).decode("utf-8-sig")
    assert "899700000097" in everything and len(everything.splitlines()) == 1 + 3
    outsider = User.objects.create(username="x", idnat="899700000105", is_staff=True)
    stranger = _client_for(outsider)
    assert stranger.get(reverse("admin:audit_auditevent_export")).status_code == 403
