"""The Procfile's commands, read as honcho (`make run`) reads them, as argument lists.

For what starts the processes production runs without honcho: the benchmark, the scale-out test,
and the test that holds the systemd units to the same commands.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from honcho.environ import parse_procfile

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def procfile_commands() -> dict[str, list[str]]:
    """Each process's command, by name; paths in them are relative to the project's folder."""
    procfile = parse_procfile(PROCFILE.read_text())
    return {name: shlex.split(command) for name, command in procfile.processes.items()}
