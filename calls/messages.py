"""Messages kept with a call in English, and shown in the reader's language.

A call's `error_message` is written once (by a worker, in no one's language) and read later by
people of either language, so it is stored in English: constant messages are marked with
`gettext_noop` where they are made, and messages with the operator's words or a number in them are
made from one of `TEMPLATES`. `stored_message` turns either back into the active language; text it
does not know (from before, or the operator's own words) is shown as it is.
"""

import re

from django.utils.translation import gettext, gettext_noop

from operator_api.errors import MESSAGE_TEMPLATES as OPERATOR_TEMPLATES

# calls.services.dialing.call_release: the operator's message is the one in parentheses.
HANG_UP_NOT_CONFIRMED = gettext_noop(
    "The operator did not confirm the hang-up (%(message)s). "
    "The call may still be live: hang up on the phone."
)

# Most specific first: a message is read with the first template that matches it whole.
TEMPLATES = (HANG_UP_NOT_CONFIRMED, *OPERATOR_TEMPLATES)
# Values that are themselves stored messages, translated in turn.
_NESTED = frozenset({"message"})

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    # split alternates literal text and placeholder names.
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


_PATTERNS = tuple((template, _pattern(template)) for template in TEMPLATES)


def stored_message(text: str) -> str:
    """An English message kept with a call, in the active language."""
    if not text:
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    for template, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {
            name: stored_message(value) if name in _NESTED else value
            for name, value in match.groupdict().items()
        }
        return gettext(template) % values
    return text
