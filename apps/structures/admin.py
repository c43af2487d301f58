from django.contrib import admin

from .models import Membership, Structure


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ("name", "identifier_type", "identifier", "postcode", "city")
    search_fields = ("name", "identifier", "city")
    list_filter = ("identifier_type",)
    inlines = [MembershipInline]
