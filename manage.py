#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")
    if sys.argv[1:2] != ["runserver"]:
        # A one-off command (migrate, check, a sweep run by hand) is no server whose counts
        # /metrics adds up, and it may run as another user than the units (root, following the
        # deployment guide): it keeps its counts in memory, out of the host's metrics folder.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = ""
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
