"""Lists a person types into one field ("80, 95, 100"), read as they may write them.

A Chinese keyboard types the full-width comma and semicolon and the enumeration comma (U+FF0C,
U+FF1B, U+3001); people also separate items with spaces or new lines. Every field that takes a
typed list reads it with typed_list, so that none refuses one of these.
"""

import re

# Half- and full-width commas and semicolons, the enumeration comma, and any white space (the
# ideographic space U+3000 included).
_SEPARATORS = re.compile("[,;\N{FULLWIDTH COMMA}\N{FULLWIDTH SEMICOLON}\N{IDEOGRAPHIC COMMA}\\s]+")


def typed_list(text: str) -> list[str]:
    """The items of `text`, in order, without empty ones: "80, 95; 100" → ["80", "95", "100"],
    and the same with the Chinese separators."""
    return [item for item in _SEPARATORS.split(text) if item]
