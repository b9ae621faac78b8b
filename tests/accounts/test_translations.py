"""The Chinese catalogue is complete and sound, and the portal speaks it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# A width ("%(seconds)02d") is the language's choice (Chinese writes 1分5秒): only names count.
PLACEHOLDER = re.compile(r"%\((\w+)\)\d*[sd]|%[sd]|\{\w*\}")


def entries() -> list[polib.POEntry]:
    return [entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete]


def translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def test_every_string_is_translated_and_none_is_fuzzy():
    untranslated = [e.msgid for e in entries() if not all(translations(e))]
    fuzzy = [e.msgid for e in entries() if "fuzzy" in e.flags]

    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_every_placeholder():
    broken = [
        (entry.msgid, text)
        for entry in entries()
        for text in translations(entry)
        if sorted(PLACEHOLDER.findall(text))
        != sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        # A plural's Chinese form may leave out the count the sentence already says.
        and not (entry.msgid_plural and set(PLACEHOLDER.findall(text)) <= {"count", "counter"})
    ]

    assert broken == []


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext's xgettext")
def test_the_catalogue_holds_every_string_marked_in_the_code(tmp_path):
    """`make messages` would add nothing: no string was marked and left out of the catalogue."""
    copy = tmp_path / "repo"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".tools", "var", ".git", "__pycache__", "*.mo"),
    )
    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-obsolete"]
        + [f"--ignore={pattern}" for pattern in ("tests/*", "bench/*", "sandbox/*")],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PORTAL_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"},
    )
    extracted = polib.pofile(str(copy / CATALOGUE.relative_to(settings.BASE_DIR)))
    committed = {(e.msgctxt, e.msgid) for e in entries()}

    missing = [e.msgid for e in extracted if (e.msgctxt, e.msgid) not in committed]

    assert missing == []


@pytest.mark.django_db
def test_the_compiled_catalogue_is_what_pages_speak(client, employee):
    call_command("compile_translations", verbosity=0)
    client.force_login(employee)

    page = client.get(reverse("contact-list"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert "联系人" in page.content.decode()
