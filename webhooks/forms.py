from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import EventType


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=1000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/click-to-dial"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        initial=EventType.values,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
