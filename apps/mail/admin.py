"""Mailboxes and delegations in the admin. A structure administrator sees their
structure's mailboxes (the name shown, nothing about servers or certificates) and gives,
changes and revokes delegations on them; only a superuser adds mailboxes or points one at
a server."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.admin_scope import StructureScopedAdmin, is_superuser
from mailproto.certificates import P12_MAX_BYTES, CertificateUnreadable, p12_read

from .models import Delegation, Mailbox
from .services.certificates import CERTIFICATE_REFUSED, mailbox_certificate_set
from .services.delegations import delegation_revoke, delegation_save

# Where a mailbox's mail goes and with which secret: a structure administrator who could
# set these would receive a user's PSC token and outgoing mail.
SERVER_FIELDS = ("auth_mode", "imap_host", "imap_port", "smtp_host", "smtp_port",
                 "client_cert_file", "client_key_file", "certificate_p12", "certificate_passphrase",
                 "client_certificate_subject", "client_certificate_expires")


class MailboxForm(forms.ModelForm):  # type: ignore[type-arg]
    """A client certificate arrives as a PKCS#12 file and its passphrase, checked here;
    neither is ever written back into the page."""

    certificate_p12 = forms.FileField(label=_("client certificate (.p12 / .pfx)"), required=False,
                                      help_text=_("Replaces the certificate in use; kept encrypted."))
    certificate_passphrase = forms.CharField(label=_("certificate passphrase"), required=False, strip=False,
                                             widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = Mailbox
        fields = "__all__"  # noqa: DJ007 - the admin narrows them per user (get_fields)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("certificate_p12")
        self.certificate_bytes = b""
        if upload:
            data = upload.read(P12_MAX_BYTES + 1)
            try:
                p12_read(data, cleaned.get("certificate_passphrase") or "")
            except CertificateUnreadable:
                self.add_error("certificate_p12", str(CERTIFICATE_REFUSED))
            else:
                self.certificate_bytes = data
        return cleaned


class DelegationWrites:
    """Delegations are written through their service (one audit event each, pooled
    connections closed on revocation), from the inline and from their own page alike."""

    audit_changes = False

    def save_delegation(self, request: HttpRequest, delegation: Delegation) -> None:
        delegation_save(delegation=delegation, by=request.user, client_ip=request.META.get("REMOTE_ADDR", ""))

    def revoke_delegation(self, request: HttpRequest, delegation: Delegation) -> None:
        delegation_revoke(delegation=delegation, by=request.user,
                          client_ip=request.META.get("REMOTE_ADDR", ""))


class DelegationInline(DelegationWrites, admin.TabularInline):  # type: ignore[type-arg]
    model = Delegation
    fk_name = "mailbox"
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "rights", "starts_on", "ends_on")

    def _editable(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or self.admin_site._registry[Mailbox].has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site._registry[Mailbox].has_view_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user" and not is_superuser(request):
            from django.contrib.auth import get_user_model
            kwargs["queryset"] = self.admin_site._registry[get_user_model()].get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Mailbox)
class MailboxAdmin(StructureScopedAdmin):
    form = MailboxForm
    scope_path = "structure"
    structure_admin_can = frozenset({"view", "change"})
    superuser_fields = SERVER_FIELDS
    list_display = ("address", "kind", "owner", "structure", "auth_mode", "last_sync_at",
                    "last_sync_error_kind")
    # Which mailboxes fail to sync, and on whose side: the operator's server, its access
    # control, or our index.
    list_filter = ("kind", "auth_mode", "last_sync_error_kind", "structure")
    search_fields = ("address", "display_name", "owner__last_name", "owner__first_name", "owner__idnat")
    # The owner picked by name or national id (the users' admin searches those), not by a
    # numeric id to look up elsewhere.
    autocomplete_fields = ("owner", "structure")
    # Written by the sync alone.
    readonly_fields = ("client_certificate_subject", "client_certificate_expires",
                       "sync_running_since", "last_sync_at", "last_sync_error", "last_sync_error_at",
                       "last_sync_error_kind", "sync_failures", "next_sync_after")
    exclude = ("quota_used_kb", "quota_limit_kb", "vacation_enabled", "vacation_start", "vacation_end",
               "bodies_indexing", "bodies_indexed_through")
    inlines = [DelegationInline]

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        return filters if is_superuser(request) else [f for f in filters if f != "auth_mode"]

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return shown if is_superuser(request) else [f for f in shown if f not in SERVER_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A structure administrator names the mailbox; what it is, whose and where it
        belongs stay as the directory and the superuser set them."""
        fields = super().get_readonly_fields(request, obj)
        return fields if is_superuser(request) else (*fields, "address", "kind", "owner", "structure")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        uploaded: bytes = getattr(form, "certificate_bytes", b"")
        if uploaded and is_superuser(request):
            mailbox_certificate_set(mailbox=obj, p12=uploaded,
                                    passphrase=form.cleaned_data.get("certificate_passphrase") or "",
                                    by=request.user, client_ip=request.META.get("REMOTE_ADDR", ""))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Delegation:
            return super().save_formset(request, form, formset, change)
        for delegation in formset.save(commit=False):
            DelegationWrites.save_delegation(self, request, delegation)  # type: ignore[arg-type]
        for delegation in formset.deleted_objects:
            DelegationWrites.revoke_delegation(self, request, delegation)  # type: ignore[arg-type]
        return None


@admin.register(Delegation)
class DelegationAdmin(DelegationWrites, StructureScopedAdmin):
    scope_path = "mailbox__structure"
    structure_admin_can = frozenset({"view", "add", "change", "delete"})
    list_display = ("mailbox", "user", "rights", "starts_on", "ends_on", "granted_by", "created_at")
    list_filter = ("rights", "mailbox")
    search_fields = ("mailbox__address", "user__last_name", "user__first_name", "user__idnat")
    autocomplete_fields = ("mailbox", "user")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self.save_delegation(request, obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.revoke_delegation(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for delegation in queryset.select_related("mailbox", "user"):
            self.revoke_delegation(request, delegation)
