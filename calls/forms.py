"""The forms of the calls pages: a contact, a contact import, the history's filters (with a select
that writes its options in one pass), settling a call by hand."""

from collections.abc import Iterator

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from calls import history, selectors
from calls.models import Call, CallOutcome
from calls.services.outcomes import Settlement
from calls.services.wrapup import NOTES_MAX_LENGTH
from calls.widgets import OnePassSelect
from clicktodial_portal import bounds
from members.models import Department, Member


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    company = forms.CharField(label=gettext_lazy("Company"), max_length=200, required=False)
    phone_number = forms.CharField(
        # Translators: a phone number.
        label=gettext_lazy("Number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "placeholder": "+8613912345673"}
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        # Translators: keep "tel:" as it is; it is what people type.
        help_text=gettext_lazy("Write tel:+8610… to get a Call button for that number."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    shared = forms.BooleanField(label=gettext_lazy("Shared with everyone"), required=False)

    def __init__(self, *args: object, may_share: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not may_share:
            del self.fields["shared"]

    def contact_fields(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            # A contact with no name is known by its number, as before.
            "name": data["name"].strip() or data["phone_number"].strip(),
            "company": data["company"].strip(),
            "phone_number": data["phone_number"],
            "notes": data["notes"].strip(),
        }


class ContactImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV, Excel or vCard file"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,.vcf,.vcard"}),
    )
    shared = forms.BooleanField(label=gettext_lazy("Import as shared contacts"), required=False)

    def __init__(self, *args: object, may_share: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not may_share:
            del self.fields["shared"]


class MemberChoices(ModelChoiceIterator):
    """The members as (id, "Name (+86…)", as Member.__str__) read as two columns, not as model
    instances: building 2,000 of them took longer than the query."""

    def __iter__(self) -> Iterator[tuple[object, str]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, number in self.queryset.values_list("pk", "name", "phone_number"):
            yield (pk, f"{name} ({number})")


class MemberChoiceField(forms.ModelChoiceField):
    iterator = MemberChoices


class OutcomeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CallOutcome) -> str:
        return obj.label


class CallHistoryForm(forms.Form):
    """The history's filters, read from the query string so that a filtered list is a link."""

    search = forms.CharField(
        label=gettext_lazy("Name or number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    member = MemberChoiceField(
        label=gettext_lazy("Member"),
        queryset=Member.objects.order_by("name", "id"),
        required=False,
        empty_label=gettext_lazy("Any member"),
        widget=OnePassSelect,
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("Any department"),
        widget=OnePassSelect,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any status")), *Call.Status.choices],
        required=False,
    )
    # Its choices, the reasons in words as the reader reads them, are set in __init__.
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False)
    over_limit = forms.BooleanField(label=gettext_lazy("Over the limit only"), required=False)
    outcome = OutcomeChoiceField(
        label=gettext_lazy("Outcome"),
        queryset=CallOutcome.objects.all(),
        required=False,
        empty_label=gettext_lazy("Any outcome"),
    )
    # The order, as the column headers set it too; for phones, where the table has no header.
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        choices=[
            ("-date", gettext_lazy("Newest first")),
            ("date", gettext_lazy("Oldest first")),
            ("-duration", gettext_lazy("Longest first")),
            ("duration", gettext_lazy("Shortest first")),
            ("member", gettext_lazy("Member, A to Z")),
            ("-member", gettext_lazy("Member, Z to A")),
        ],
        required=False,
    )

    def __init__(self, data: QueryDict, *, sees_all: bool) -> None:
        sort = data.get("sort", "")
        if sort and (
            sort != history.call_history_sort_parse(sort)
            or (not sees_all and sort.endswith("member"))
        ):
            # A sort not offered (a link kept, edited by hand): the default, not an error.
            data = data.copy()
            data.pop("sort")
        super().__init__(data)
        # "from" is a Python keyword, so these cannot be declared as class attributes.
        dates = (("from", pgettext("first day", "From")), ("to", pgettext("last day", "To")))
        for name, label in dates:
            self.fields[name] = bounds.BoundedDateField(
                label=label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
            )
        self.order_fields(["from", "to", "search"])
        # Those who see every call read others' reasons ("the caller did not answer"); anyone
        # else their own ("you did not answer").
        self.fields["reason"].choices = [
            ("", _("Any reason")),
            *(
                (code, selectors.reason_label(code, to_caller=not sees_all))
                for code in history.HISTORY_REASONS
            ),
        ]
        if not sees_all:
            # Their own calls only: one member, one department, nothing to choose between.
            del self.fields["member"], self.fields["department"]
            self.fields["sort"].choices = [
                (value, label)
                for value, label in self.fields["sort"].choices
                if not value.endswith("member")
            ]

    @property
    def sort_order(self) -> str:
        """The order asked for ("-duration"), else the default: newest first."""
        return history.call_history_sort_parse(self.data.get("sort", ""))

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first and last and first > last:
            raise forms.ValidationError(_("The first day must not be after the last day."))
        return data

    def filters(self) -> history.CallHistoryFilters:
        data = self.cleaned_data
        member, department = data.get("member"), data.get("department")
        return history.CallHistoryFilters(
            date_from=data.get("from"),
            date_to=data.get("to"),
            member_id=member.pk if member else None,
            department_id=department.pk if department else None,
            status=data.get("status") or "",
            reason=data.get("reason") or "",
            over_limit=bool(data.get("over_limit")),
            search=data.get("search") or "",
            outcome_id=data["outcome"].pk if data.get("outcome") else None,
        )


class CallSettleForm(forms.Form):
    """How an admin settles a call the operator never finished reporting on."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("How did it go?"),
        choices=[
            (Settlement.ENDED, gettext_lazy("They talked, then it ended")),
            (Settlement.FAILED, gettext_lazy("It never connected")),
        ],
        widget=forms.RadioSelect,
    )
    duration_seconds = forms.IntegerField(
        label=gettext_lazy("Talk time in seconds"),
        min_value=0,
        required=False,
        help_text=gettext_lazy("Billed like any ended call; 0 if they never talked."),
    )


class CallWrapupForm(forms.Form):
    """After a call, how it went: an outcome from the admins' list, and notes."""

    outcome = OutcomeChoiceField(
        label=gettext_lazy("Outcome"),
        queryset=CallOutcome.objects.none(),
        required=False,
        empty_label=gettext_lazy("Not noted"),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, call: Call, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"outcome": call.outcome_id, "notes": call.notes})
        kwargs.setdefault("auto_id", "wrapup-%s")
        super().__init__(*args, **kwargs)
        # The active outcomes, and the call's own even if deactivated since.
        self.fields["outcome"].queryset = CallOutcome.objects.filter(
            Q(is_active=True) | Q(pk=call.outcome_id)
        )


class CallOutcomeForm(forms.Form):
    """An outcome of the admins' list: its words in both languages, and whether it is offered."""

    name = forms.CharField(label=gettext_lazy("Name in English"), max_length=100)
    name_zh_hans = forms.CharField(
        label=gettext_lazy("Name in Chinese"), max_length=100, required=False
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Offered to callers"), required=False, initial=True
    )
