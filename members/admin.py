from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from audit.models import AuditLogEntry
from audit.services import audit_record
from clicktodial_portal.phones import InvalidPhoneNumber, phone_number_normalize
from members.auditing import snapshot
from members.exceptions import MemberInvalid
from members.models import (
    BusinessNumber,
    Department,
    Member,
    MinutePool,
    PoolAlert,
    UsageEntry,
)
from members.services import business_number_taken, business_number_validate


class PhoneNumberAdminForm(forms.ModelForm):
    """Numbers typed in Django's admin are normalised and checked as everywhere else."""

    def clean_phone_number(self) -> str:
        try:
            number = phone_number_normalize(self.cleaned_data["phone_number"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc
        model = self._meta.model
        if model.objects.filter(phone_number=number).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("%(number)s is already in use.") % {"number": number})
        return number


class BusinessNumberAdminForm(forms.ModelForm):
    """A business number typed in Django's admin is kept as the operator registered it (it is
    sent so), checked as on the portal's own page."""

    def clean_phone_number(self) -> str:
        try:
            number = business_number_validate(self.cleaned_data["phone_number"])
        except MemberInvalid as exc:
            raise forms.ValidationError(exc.message) from exc
        if business_number_taken(number, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("%(number)s is already in use.") % {"number": number})
        return number


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in Django's admin go to the audit log like any other."""

    def save_model(self, request, obj, form, change) -> None:
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=AuditLogEntry.Action.UPDATE if change else AuditLogEntry.Action.CREATE,
            obj=obj,
            before=before,
            after=snapshot(obj),
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Members are removed (kept with their history), never deleted.
        return False


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    form = PhoneNumberAdminForm

    list_display = ["name", "phone_number", "department", "user", "status", "minutes_cap"]
    list_filter = ["status", "department"]
    search_fields = ["name", "phone_number", "user__username"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "business_number", "minutes_cap"]


@admin.register(BusinessNumber)
class BusinessNumberAdmin(AuditedAdmin):
    form = BusinessNumberAdminForm

    list_display = ["phone_number", "label", "is_default"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger and alerts are written by the services only, never by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MinutePool)
class MinutePoolAdmin(ReadOnlyAdmin):
    list_display = ["period_start", "period_end", "minutes_allotted", "minutes_used"]


@admin.register(UsageEntry)
class UsageEntryAdmin(ReadOnlyAdmin):
    list_display = ["call", "day", "member", "department", "seconds", "billed_seconds"]
    list_filter = ["day", "department"]


@admin.register(PoolAlert)
class PoolAlertAdmin(ReadOnlyAdmin):
    list_display = ["pool", "threshold", "percent_used", "sent_at", "recipients"]
