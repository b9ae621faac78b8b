"""``{% recording_panel call %}``: the recording part of the call page."""

from django import template

from recordings.views import recording_panel_context

register = template.Library()


@register.inclusion_tag("recordings/_panel.html", takes_context=True)
def recording_panel(context: template.Context, call: object) -> dict:
    return recording_panel_context(context["request"], call)  # type: ignore[arg-type]
