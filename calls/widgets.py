"""Form widgets of the calls pages."""

import html

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


class OnePassSelect(forms.Select):
    """forms.Select's markup, its options written in one pass instead of a template each.

    Django renders every <option> through its own template include (about 0.2 ms each): with the
    history's member filter listing every member (2,000 in the benchmark), that was most of the
    page's time. Choices in groups (<optgroup>) are left to forms.Select.
    """

    def render(
        self, name: str, value: object, attrs: dict | None = None, renderer: object = None
    ) -> SafeString:
        wanted = self.format_value(value)
        options = []
        chosen = False
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                return super().render(name, value, attrs, renderer)
            option_value = "" if option_value is None else str(option_value)
            # As forms.Select: only the first option with the value is selected.
            selected = not chosen and option_value in wanted
            chosen |= selected
            options.append(
                f'\n  <option value="{_escaped(option_value)}"'
                f"{' selected' if selected else ''}>{_escaped(label)}</option>\n"
            )
        html_attrs = _html_attrs(self.build_attrs(self.attrs, attrs))
        return mark_safe(  # noqa: S308 - every value and label above is escaped
            f'<select name="{conditional_escape(name)}"{html_attrs}>{"".join(options)}\n</select>'
        )


def _escaped(text: object) -> str:
    """What conditional_escape gives, without its wrapper for lazy strings and the SafeString
    it builds: escaping the member filter's 4,000 values and labels took 10 ms that way, 2 ms
    this way (timeit). Django's escape is html.escape too."""
    if hasattr(text, "__html__"):
        return text.__html__()
    return html.escape(str(text))


def _html_attrs(attrs: dict) -> str:
    """Attributes as Django's widgets/attrs.html writes them, in order (flatatt puts the valued
    ones before the boolean ones): True as a bare name, False left out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )
