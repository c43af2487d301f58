from django.contrib import admin

from .models import Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("address", "kind", "owner", "auth_mode", "last_sync_at", "last_sync_error_kind")
    # Which mailboxes fail to sync, and on whose side: the operator's server, its access
    # control, or our index.
    list_filter = ("kind", "auth_mode", "last_sync_error_kind")
    search_fields = ("address", "display_name", "owner__last_name", "owner__first_name", "owner__idnat")
    # Owner and delegates picked by name or national id (the users' admin searches those),
    # not by a numeric id to look up elsewhere.
    autocomplete_fields = ("owner", "delegates")
    # Written by the sync alone.
    readonly_fields = ("sync_running_since", "last_sync_at", "last_sync_error", "last_sync_error_at",
                       "last_sync_error_kind", "sync_failures", "next_sync_after")
