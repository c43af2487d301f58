from django.contrib import admin

from .models import DirectoryEntry, WhitelistDomain, WhitelistImport


@admin.register(WhitelistDomain)
class WhitelistDomainAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "operator_dn", "updated_at")
    search_fields = ("name", "description", "operator_dn")


@admin.register(WhitelistImport)
class WhitelistImportAdmin(admin.ModelAdmin):
    list_display = ("at", "ok", "entries", "domains", "repaired", "error", "source")
    list_filter = ("ok",)

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(DirectoryEntry)
class DirectoryEntryAdmin(admin.ModelAdmin):
    list_display = ("address", "family_name", "given_name", "profession_label", "city")
    search_fields = ("address", "name_key", "idnat")
