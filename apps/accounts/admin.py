from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class PSCUserAdmin(UserAdmin):
    list_display = ("username", "idnat", "first_name", "last_name", "is_staff")
    search_fields = ("username", "idnat", "first_name", "last_name")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Pro Santé Connect", {"fields": ("idnat", "civility")}))
