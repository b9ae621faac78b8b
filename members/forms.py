"""Forms of the member pages: they check the input's shape; members.services checks the rest."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clicktodial_portal.tables import TableInvalid, size_check
from members.importing import MEMBER_TABLE
from members.models import BusinessNumber, Department, Member


class MemberForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter the member's name.")},
    )
    phone_number = forms.CharField(
        label=_("Number"),
        max_length=40,
        error_messages={"required": _("Enter the member's number, e.g. +8613912345673.")},
        widget=forms.TextInput(attrs={"placeholder": "+8613912345673"}),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=_("No department"),
    )
    username = forms.CharField(
        label=_("Portal user"),
        max_length=150,
        required=False,
        help_text=_("The username of the employee who calls from this number (optional)."),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Member.Status.choices, initial=Member.Status.ACTIVE
    )
    minutes_cap = forms.IntegerField(
        label=_("Minutes cap"),
        min_value=0,
        required=False,
        help_text=_("Billed minutes per month; empty for no cap."),
    )

    def __init__(self, *args: object, member: Member | None = None, **kwargs: object) -> None:
        self.member = member
        if member is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": member.name,
                "phone_number": member.phone_number,
                "department": member.department_id,
                "username": member.user.get_username() if member.user else "",
                "status": member.status,
                "minutes_cap": member.minutes_cap,
            }
        super().__init__(*args, **kwargs)

    def clean_username(self) -> object:
        """The portal user named, who must exist and have no other member number."""
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(
                gettext("There is no portal user “%(username)s”.") % {"username": username}
            )
        other = Member.objects.filter(user=user).exclude(pk=getattr(self.member, "pk", None))
        if other_number := other.values_list("phone_number", flat=True).first():
            raise forms.ValidationError(
                gettext("The user %(username)s already has member number %(number)s.")
                % {"username": username, "number": other_number}
            )
        return user

    def service_fields(self) -> dict[str, object]:
        """The cleaned data under the names members.services takes."""
        data = dict(self.cleaned_data)
        data["user"] = data.pop("username")
        return data


class DepartmentForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter the department's name.")},
    )
    business_number = forms.ModelChoiceField(
        label=_("Business number"),
        queryset=BusinessNumber.objects.all(),
        required=False,
        empty_label=_("The default business number"),
        help_text=_("The number this department's calls show."),
    )
    minutes_cap = forms.IntegerField(
        label=_("Minutes cap"),
        min_value=0,
        required=False,
        help_text=_("Billed minutes per month for the whole department; empty for no cap."),
    )

    def __init__(
        self, *args: object, department: Department | None = None, **kwargs: object
    ) -> None:
        self.department = department
        if department is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": department.name,
                "business_number": department.business_number_id,
                "minutes_cap": department.minutes_cap,
            }
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        # Checked here as well as in department_save, whose MemberInvalid misses its `field=`
        # keyword (a TypeError instead of a message) until that is fixed.
        others = Department.objects.exclude(pk=getattr(self.department, "pk", None))
        if others.filter(name=name).exists():
            raise forms.ValidationError(
                gettext("There is already a department called %(name)s.") % {"name": name}
            )
        return name


class BusinessNumberForm(forms.Form):
    phone_number = forms.CharField(
        label=_("Number"),
        max_length=40,
        error_messages={"required": _("Enter the business number, e.g. 01052680000.")},
        widget=forms.TextInput(attrs={"placeholder": "01052680000"}),
    )
    label = forms.CharField(label=_("Label"), max_length=200, required=False)
    is_default = forms.BooleanField(
        label=_("Default"), required=False, help_text=_("Shown on calls of members without one.")
    )


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        try:
            size_check(upload.size, MEMBER_TABLE)
        except TableInvalid as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload
