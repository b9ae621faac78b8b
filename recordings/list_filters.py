"""The recordings page's filters (date range, member, status), read from the URL's query so that
they stay across pages and links."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from recordings.models import Recording
from recordings.selectors import LISTED_STATUSES, RecordingFilters

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


class RecordingFilterForm(forms.Form):
    member = forms.TypedChoiceField(label=gettext_lazy("Member"), coerce=int, required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, data: QueryDict, *, members: list[tuple[int, str]] | None) -> None:
        """`members`: the member choices for those who hear every member's calls; None for an
        employee, who hears only their own and has nothing to choose between."""
        super().__init__(data)
        # "from" is a Python keyword, so these cannot be declared as class attributes.
        dates = (("from", pgettext("first day", "From")), ("to", pgettext("last day", "To")))
        for name, label in dates:
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                input_formats=["%Y-%m-%d"],
                # Days a date filter can sensibly name (the calendar's ends overflow a day after).
                validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
            )
        self.order_fields(["from", "to", "member", "status"])
        if members is None:
            del self.fields["member"]
        else:
            self.fields["member"].choices = [("", _("Any member")), *members]
        labels = dict(Recording.Status.choices)
        self.fields["status"].choices = [
            ("", _("Any status")),
            *((status, labels[status]) for status in LISTED_STATUSES),
        ]

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first and last and first > last:
            raise forms.ValidationError(_("The first day must not be after the last day."))
        return data

    def filters(self) -> RecordingFilters:
        data = self.cleaned_data
        return RecordingFilters(
            date_from=data.get("from"),
            date_to=data.get("to"),
            member_id=data.get("member") or None,
            status=data.get("status") or "",
        )
