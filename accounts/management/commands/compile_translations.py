"""Compile every .po catalogue in LOCALE_PATHS into the .mo file Django reads.

Django's own compilemessages needs GNU gettext's msgfmt, which a machine with nothing but Python
lacks; polib does the same in Python. The .mo files are generated, so they stay out of git and
`make run` / `make test` build them.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the project's .po translation catalogues into .mo files (no gettext needed)."

    def handle(self, *args, **options) -> None:
        compiled = 0
        catalogues = [
            po
            for locale_path in settings.LOCALE_PATHS
            for po in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po"))
        ]
        for po_path in catalogues:
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled += 1
            self.stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
        if options["verbosity"] > 1 or compiled == 0:
            self.stdout.write(f"{compiled} catalogue(s) compiled")
