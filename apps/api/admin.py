"""API clients in the admin: a structure administrator creates one for their structure's
software (the key is shown once, then only its prefix), and revokes it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from apps.core.admin_scope import StructureScopedAdmin

from .models import ApiClient
from .services import api_key_set


@admin.register(ApiClient)
class ApiClientAdmin(StructureScopedAdmin):
    scope_path = "structure"
    structure_admin_can = frozenset({"view", "add", "change"})
    list_display = ("name", "structure", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("structure", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        key = None if change else api_key_set(client=obj)
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(request, _("The key of %(name)s, shown only now: %(key)s") % {"name": obj.name,
                                                                                         "key": key})
