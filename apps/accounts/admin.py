"""Users in the admin. A structure administrator sees the people practising in their
structures (to give them delegations or make them administrators), read only and without
their permissions; Django's groups are not used (structure administration is the
memberships' ``is_admin``) and not shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from apps.core.admin_scope import StructureScopedAdmin, is_superuser

from .models import User

admin.site.unregister(Group)


@admin.register(User)
class PSCUserAdmin(StructureScopedAdmin, UserAdmin):  # type: ignore[misc]
    scope_path = "memberships__structure"
    structure_admin_can = frozenset({"view"})
    list_display = ("username", "idnat", "first_name", "last_name", "is_staff")
    search_fields = ("username", "idnat", "first_name", "last_name")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Pro Santé Connect", {"fields": ("idnat", "civility")}))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if is_superuser(request):
            return super().get_fieldsets(request, obj)
        return [(None, {"fields": ("first_name", "last_name", "idnat", "email")})]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return super().get_list_filter(request) if is_superuser(request) else ()
