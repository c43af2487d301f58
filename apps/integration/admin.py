"""Business software links in the admin: a structure administrator sets those of their
structure's mailboxes (host, port, TLS, the HL7 names, which types), and sees what was
handed over and what the software answered."""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin_scope import StructureScopedAdmin

from .models import DocumentDelivery, HandedMessage, IntegrationEndpoint, ToolMessage


@admin.register(IntegrationEndpoint)
class IntegrationEndpointAdmin(StructureScopedAdmin):
    scope_path = "mailbox__structure"
    structure_admin_can = frozenset({"view", "add", "change", "delete"})
    list_display = ("mailbox", "software", "host", "port", "tls", "enabled")
    list_filter = ("enabled",)
    autocomplete_fields = ("mailbox",)


@admin.register(DocumentDelivery)
class DocumentDeliveryAdmin(StructureScopedAdmin):
    scope_path = "message__endpoint__mailbox__structure"
    structure_admin_can = frozenset({"view"})
    list_display = ("title", "type_code", "state", "error_code", "error_label", "attempts", "answered_at")
    list_filter = ("state",)
    readonly_fields = ("message", "key", "type_code", "title", "control_id", "state", "error_code",
                       "error_label", "attempts", "next_try_at", "last_error", "answered_at")


@admin.register(HandedMessage)
class HandedMessageAdmin(StructureScopedAdmin):
    scope_path = "endpoint__mailbox__structure"
    structure_admin_can = frozenset({"view"})
    list_display = ("subject", "sender", "state", "created_at")
    list_filter = ("state",)
    readonly_fields = ("endpoint", "folder", "uid", "message_id", "sender", "subject", "receipt_to", "state")


@admin.register(ToolMessage)
class ToolMessageAdmin(StructureScopedAdmin):
    """What the structure's software sent or drafted through the API, and for whom."""

    scope_path = "structure"
    structure_admin_can = frozenset({"view"})
    list_display = ("subject", "client", "mailbox", "acting_idnat", "created_at")
    readonly_fields = ("structure", "client", "mailbox", "outbox", "message_id", "subject", "draft_uid",
                       "acting_idnat", "created_at")
