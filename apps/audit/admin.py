"""The audit trail in the admin: read only (no add, change or delete, whoever asks); a
structure administrator sees their structures' events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path

from apps.core.admin_scope import StructureScopedAdmin

from .models import AuditEvent
from .selectors import audit_csv_rows
from .services import audit_log


@admin.register(AuditEvent)
class AuditEventAdmin(StructureScopedAdmin):
    scope_path = "structure_id"
    structure_admin_can = frozenset({"view"})
    list_display = ("at", "event", "actor", "mailbox", "target", "outcome", "delegation", "client_ip")
    list_filter = ("event", "outcome")
    search_fields = ("actor", "mailbox", "target", "request_id")
    date_hierarchy = "at"
    readonly_fields = ("at", "event", "actor", "structure_id", "mailbox", "target", "outcome", "delegation",
                       "client_ip", "request_id", "details")
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # ---------------------------------------------------------------- CSV export
    def get_urls(self) -> list[Any]:
        export = path("export.csv", self.admin_site.admin_view(self.export_view),
                      name="audit_auditevent_export")
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The list as filtered on screen (and scoped: a structure administrator gets their
        structures' events only), as CSV for a spreadsheet; the export is itself audited."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        user = request.user
        audit_log(event="audit_exported", actor=getattr(user, "idnat", "") or getattr(user, "username", ""),
                  client_ip=request.META.get("REMOTE_ADDR", ""), filters=request.GET.urlencode()[:500])
        response = StreamingHttpResponse(audit_csv_rows(queryset.iterator(chunk_size=2000)),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="journal-audit.csv"'
        return response
