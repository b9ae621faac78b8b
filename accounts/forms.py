"""Forms of the Users pages: they check the input's shape; accounts.services checks the rest."""

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members import roles

ROLE_CHOICES = [
    (roles.ADMIN, pgettext_lazy("role", "Admin")),
    (roles.EMPLOYEE, pgettext_lazy("role", "Employee")),
    (roles.FINANCE, pgettext_lazy("role", "Finance")),
]


class UserFields(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Admin: everything, this page included. Employee: calls from their member number. "
            "Finance: usage reports, numbers masked."
        ),
    )


class UserCreateForm(UserFields):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        error_messages={"required": _("Enter a username, e.g. zhang.wei.")},
        help_text=_("What they log in with: letters, digits and @ . + - _ only."),
    )
    invite = forms.BooleanField(
        label=_("Send an invitation by e-mail"),
        required=False,
        initial=True,
        help_text=_("A link to set their own password. You can send it later too."),
    )

    field_order = ["username", "name", "email", "roles", "invite"]


class UserEditForm(UserFields):
    pool_alerts = forms.BooleanField(
        label=_("Receives pool alerts"),
        required=False,
        help_text=_("The e-mails sent when the minute pool crosses a threshold."),
    )
