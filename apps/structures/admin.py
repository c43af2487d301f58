"""Structures and memberships in the admin. A structure administrator sees their own
structures (read only) and manages who practises there and who administers them; making
someone an administrator gives them the admin (``membership_staff_sync``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin_scope import StructureScopedAdmin, is_superuser

from .models import Membership, Structure
from .services import membership_staff_sync


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    raw_id_fields = ("user",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request)


@admin.register(Structure)
class StructureAdmin(StructureScopedAdmin):
    scope_path = "pk"
    list_display = ("name", "identifier_type", "identifier", "postcode", "city")
    search_fields = ("name", "identifier", "city")
    list_filter = ("identifier_type",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(StructureScopedAdmin):
    scope_path = "structure"
    structure_admin_can = frozenset({"view", "add", "change", "delete"})
    list_display = ("user", "structure", "profession_code", "source", "is_admin")
    list_filter = ("is_admin", "source", "structure")
    search_fields = ("user__last_name", "user__first_name", "user__idnat", "structure__name")
    autocomplete_fields = ("user", "structure")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Who and where are fixed once given (PSC rewrites its own at each sign-in); what
        changes is whether the person administers the structure."""
        fixed = (("source",) if obj is None
                 else ("user", "structure", "profession_code", "exercise_mode", "source"))
        return (*super().get_readonly_fields(request, obj), *fixed)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.source = Membership.Source.ADMIN
        super().save_model(request, obj, form, change)
        membership_staff_sync(user=obj.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        user = obj.user
        super().delete_model(request, obj)
        membership_staff_sync(user=user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        users = {m.user for m in queryset.select_related("user")}
        super().delete_queryset(request, queryset)
        for user in users:
            membership_staff_sync(user=user)
