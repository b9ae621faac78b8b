"""The Chinese catalogue says each of the product's terms one way: locale/glossary.toml's."""

import re
import tomllib
from pathlib import Path

import polib
import pytest
from django.conf import settings

GLOSSARY = tomllib.loads((Path(settings.BASE_DIR) / "locale" / "glossary.toml").read_text())
CATALOGUE = polib.pofile(str(Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"))
TERMS = {term["en"]: term for term in GLOSSARY["term"]}


def _translations(entry: polib.POEntry) -> list[str]:
    texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
    return [text for text in texts if text]


@pytest.mark.parametrize("english", TERMS)
def test_every_message_using_a_term_says_it_the_glossarys_way(english):
    term = TERMS[english]
    uses = re.compile(rf"\b{re.escape(english)}", re.IGNORECASE)
    astray = [
        f"{entry.msgid!r} => {text!r}"
        for entry in CATALOGUE
        if not entry.obsolete and uses.search(entry.msgid + entry.msgid_plural)
        for text in _translations(entry)
        if term["zh"] not in text
    ]
    assert astray == []


@pytest.mark.parametrize("english", TERMS)
def test_no_message_names_a_term_another_way(english):
    astray = [
        f"{entry.msgid!r} => {text!r}"
        for entry in CATALOGUE
        if not entry.obsolete
        for text in _translations(entry)
        for wrong in TERMS[english]["not"]
        if wrong in text
    ]
    assert astray == []


def test_percentages_are_written_without_a_space():
    """80%, not 80 %: a space before the sign is the English pages' habit, not Chinese."""
    spaced = re.compile(r"(\d|\)s|\)d) +%(?!\()")
    astray = [
        f"{entry.msgid!r} => {text!r}"
        for entry in CATALOGUE
        if not entry.obsolete
        for text in _translations(entry)
        if spaced.search(text.replace("%%", "%"))
    ]
    assert astray == []
