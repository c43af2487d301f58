from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from apps.core.admin_scope import AuditedAdmin

from .models import DirectoryEntry, DirectoryImport, WhitelistDomain, WhitelistImport
from .selectors import whitelist_status


@admin.register(WhitelistDomain)
class WhitelistDomainAdmin(AuditedAdmin):
    list_display = ("name", "description", "operator_dn", "updated_at")
    search_fields = ("name", "description", "operator_dn")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The list's size and age above it: what compose checks recipients against."""
        status = whitelist_status()
        summary = (_("%(domains)s domains, imported %(hours)s hours ago.") % {
            "domains": status.domains, "hours": status.age_hours}
            if status.imported_at else _("No whitelist imported yet."))
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": summary})


@admin.register(WhitelistImport)
class WhitelistImportAdmin(AuditedAdmin):
    list_display = ("at", "ok", "entries", "domains", "repaired", "error", "source")
    list_filter = ("ok",)

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(DirectoryEntry)
class DirectoryEntryAdmin(AuditedAdmin):
    list_display = ("address", "family_name", "given_name", "profession_label", "city")
    search_fields = ("address", "name_key", "idnat")


@admin.register(DirectoryImport)
class DirectoryImportAdmin(AuditedAdmin):
    list_display = ("at", "extracted_at", "rows", "source")

    def has_add_permission(self, request: object) -> bool:
        return False
