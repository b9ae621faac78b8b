from django.contrib import admin

from calls.models import Call, CallEvent, CallOutcome, Contact


@admin.register(CallOutcome)
class CallOutcomeAdmin(admin.ModelAdmin):
    """The outcomes callers choose from after a call. Deactivate one rather than delete it: the
    calls that have it keep it (the database refuses deleting one in use)."""

    list_display = ["name", "name_zh_hans", "code", "position", "is_active"]
    list_editable = ["name_zh_hans", "position", "is_active"]
    list_filter = ["is_active"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "phone_number", "owner"]
    search_fields = ["name", "company", "phone_number"]


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    fields = ["received_at", "status", "reason", "operator_timestamp", "outcome", "detail", "body"]
    readonly_fields = fields


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "caller", "callee", "status", "reason", "duration_seconds"]
    list_filter = ["status", "reason"]
    search_fields = ["caller", "callee", "callidentifier"]
    inlines = [CallEventInline]

    # A call changes only through its state machine (calls.lifecycle), never by hand; nor is
    # one made or deleted here: its ledger entry and audit trail hang on it.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "callidentifier", "status", "outcome", "remote_addr"]
    list_filter = ["outcome", "status"]
    search_fields = ["callidentifier"]

    # Every notification is kept as it came: none is made, changed or deleted by hand.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
