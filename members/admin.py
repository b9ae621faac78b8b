from django.contrib import admin

from members.models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "phone_number", "user", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "phone_number", "user__username"]
