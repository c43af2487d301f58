"""The audit trail in the admin: read only (no add, change or delete, whoever asks)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "event", "actor", "mailbox", "target", "outcome", "client_ip")
    list_filter = ("event", "outcome")
    search_fields = ("actor", "mailbox", "target")
    date_hierarchy = "at"
    readonly_fields = ("at", "event", "actor", "mailbox", "target", "outcome", "client_ip", "details")
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
