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
PLACEHOLDER = re.compile(r"%\(\w+\)\d*[sd]")


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
        # A placeholder's name ("%(caller)s") is not a word of the message.
        if not entry.obsolete and uses.search(PLACEHOLDER.sub("", entry.msgid + entry.msgid_plural))
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


# Chinese characters and full-width punctuation.
CJK = r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff60]"
# A number, or a placeholder that stands for one, then a Chinese unit or counter.
NUMBER_SPACE_UNIT = re.compile(
    r"(\d|%\(\w+\)\d*[sd]) +(小时|分钟|分|秒|个|条|次|天|位|行|名|项|页|年|月|日|周)"
)


def _chinese() -> list[tuple[str, str]]:
    return [
        (entry.msgid, text)
        for entry in CATALOGUE
        if not entry.obsolete
        for text in _translations(entry)
    ]


def test_chinese_punctuation_is_full_width_between_chinese_words():
    """ "已结束：忙线", not "已结束: 忙线": a half-width comma, colon, semicolon or parenthesis
    between Chinese characters is a typo to a Chinese reader."""
    half_width = re.compile(rf"{CJK}\s*[,:;()?!]\s*{CJK}")
    astray = [f"{msgid!r} => {text!r}" for msgid, text in _chinese() if half_width.search(text)]
    assert astray == []


def test_numbers_stand_against_their_chinese_units():
    """ "1分5秒", "剩余5分钟", not "1 分 05 秒": no space between a number and its unit."""
    astray = [
        f"{msgid!r} => {text!r}" for msgid, text in _chinese() if NUMBER_SPACE_UNIT.search(text)
    ]
    assert astray == []
