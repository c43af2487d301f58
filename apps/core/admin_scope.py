"""The admin, limited to what a structure administrator administers (issue 15).

A superuser sees everything, as Django's admin always did. Anyone else gets from a
``StructureScopedAdmin`` only the rows of the structures they administer (an EHPAD's
director: her EHPAD), and only the kinds of access the admin class grants structure
administrators (``structure_admin_can``), whatever Django permissions they were given:
querysets, object pages, form choices, autocompletes, list filters and actions all go
through ``get_queryset``. Admin classes that are not scoped keep Django's permissions, which
structure administrators do not have: a new model is closed to them until its admin says
how it is scoped.

Core imports no app: the structures app tells it, at start-up, how to find the structures
a user administers (``structure_resolver_set``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.db.models import Model, QuerySet
from django.dispatch import Signal
from django.http import HttpRequest

# Sent for every add, change and delete made in the admin: the audit app records it.
# Arguments: request, obj, action ("added", "changed", "deleted"), message, structure_id.
admin_changed = Signal()

Resolver = Callable[[Any], frozenset[int]]
_resolver: list[Resolver] = []
_CACHE = "_administered_structures"


def structure_resolver_set(resolver: Resolver) -> None:
    """``resolver(user)`` → ids of the structures ``user`` administers."""
    _resolver[:] = [resolver]


def administered_structures(request: HttpRequest) -> frozenset[int]:
    """The structures the request's user administers (read once per request)."""
    cached = getattr(request, _CACHE, None)
    if cached is None:
        user = request.user
        cached = (_resolver[0](user) if _resolver and user.is_authenticated and user.is_active
                  and user.is_staff else frozenset())
        setattr(request, _CACHE, cached)
    return cached


def is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every admin change is an audit event (``admin_changed``), besides Django's own log.
    ``audit_changes = False`` where the service the admin calls records its own event."""

    audit_changes = True

    def _structure_of(self, obj: Model) -> int | None:
        return None

    def _announce(self, request: HttpRequest, obj: Model, action: str, message: Any) -> None:
        if self.audit_changes:
            admin_changed.send(sender=type(obj), request=request, obj=obj, action=action,
                               message=message, structure_id=self._structure_of(obj))

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._announce(request, obj, "added", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._announce(request, obj, "changed", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._announce(request, obj, "deleted", "")
        return super().log_deletions(request, queryset)


class StructureScopedAdmin(AuditedAdmin):
    """``scope_path``: the lookup from this model to a structure's id ("pk" for the
    structure itself, "mailbox__structure", "structure_id"...). ``structure_admin_can``:
    which of view, add, change, delete structure administrators get. ``superuser_fields``:
    fields they never see nor post (servers, certificates)."""

    scope_path: str = "structure"
    structure_admin_can: frozenset[str] = frozenset({"view"})
    superuser_fields: Sequence[str] = ()

    # ---------------------------------------------------------------- rows
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if is_superuser(request):
            return queryset
        scope = {f"{self.scope_path}__in": administered_structures(request)}
        if "__" not in self.scope_path:
            return queryset.filter(**scope)
        # Through a relation that may be many-valued (a user's memberships): a subquery,
        # so that no row comes twice and no DISTINCT gets in the way of ordering or delete.
        return queryset.filter(pk__in=self.model._default_manager.filter(**scope).values("pk"))

    def _structure_of(self, obj: Model) -> int | None:
        if obj.pk is None:
            return None
        path = "pk" if self.scope_path == "pk" else self.scope_path
        value = self.model._default_manager.filter(pk=obj.pk).values_list(path, flat=True).first()
        return int(value) if value is not None else None

    def _in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        return obj is None or obj.pk is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def _structure_admin_may(self, request: HttpRequest, what: str, obj: Model | None = None) -> bool:
        return (what in self.structure_admin_can and bool(administered_structures(request))
                and self._in_scope(request, obj))

    # ---------------------------------------------------------------- permissions
    def has_module_permission(self, request: HttpRequest) -> bool:
        if is_superuser(request):
            return super().has_module_permission(request)
        return bool(self.structure_admin_can) and bool(administered_structures(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_superuser(request):
            return super().has_view_permission(request, obj)
        return (self._structure_admin_may(request, "view", obj)
                or self._structure_admin_may(request, "change", obj))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if is_superuser(request):
            return super().has_add_permission(request, *args)
        return self._structure_admin_may(request, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_superuser(request):
            return super().has_change_permission(request, obj)
        return self._structure_admin_may(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_superuser(request):
            return super().has_delete_permission(request, obj)
        return self._structure_admin_may(request, "delete", obj)

    # ---------------------------------------------------------------- forms
    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or ())
        return excluded if is_superuser(request) else [*excluded, *self.superuser_fields]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        return fields if is_superuser(request) else [f for f in fields if f not in self.superuser_fields]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if is_superuser(request):
            return fieldsets
        hidden = set(self.superuser_fields)
        return [(name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
                for name, options in fieldsets]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return fields if is_superuser(request) else [f for f in fields if f not in self.superuser_fields]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not is_superuser(request):
            kwargs["queryset"] = self._choices(db_field, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not is_superuser(request):
            kwargs["queryset"] = self._choices(db_field, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _choices(self, db_field: Any, request: HttpRequest) -> QuerySet[Any]:
        """What a structure administrator may pick: what the related model's admin shows
        them, nothing when that admin is not scoped."""
        related = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related, StructureScopedAdmin):
            return related.get_queryset(request)
        return db_field.related_model._default_manager.none()

    # ---------------------------------------------------------------- lists
    def get_list_filter(self, request: HttpRequest) -> Any:
        """A filter on a relation lists every related row; for structure administrators,
        only those their own rows point to."""
        filters = super().get_list_filter(request)
        if is_superuser(request):
            return filters
        relations = {f.name for f in self.model._meta.get_fields() if f.is_relation}
        return [(f, RelatedOnlyFieldListFilter) if isinstance(f, str) and f in relations else f
                for f in filters]
