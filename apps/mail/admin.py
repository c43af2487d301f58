from django.contrib import admin

from .models import Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("address", "kind", "owner", "auth_mode")
    list_filter = ("kind", "auth_mode")
    search_fields = ("address", "display_name", "owner__last_name")
    raw_id_fields = ("owner",)
