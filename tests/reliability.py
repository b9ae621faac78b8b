"""The reliability figures: what the fault and abuse tests sent, injected and saw.

Tests marked `reliability` add what they counted with `record(...)`; at the end of the run the
table is printed (and written to var/test-artifacts/reliability.json), so that `make reliability`
shows, for instance, notifications sent / duplicated / reordered / stored / lost, debits expected /
made, faults injected / survived, bad inputs tried / 5xx seen. Lost, double-counted and 5xx must
be 0; the tests themselves assert it, the table reports it.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path

# Rows of the table, in order, and the columns each has.
ROWS: dict[str, tuple[str, ...]] = {
    "notifications": ("sent", "duplicated", "reordered", "stored", "lost"),
    "debits": ("expected", "made", "double"),
    "operator faults": ("injected", "survived"),
    "worker deaths": ("injected", "survived"),
    "bad inputs": ("tried", "5xx"),
    "page query strings": ("tried", "5xx"),
}

_lock = threading.Lock()
_figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


def record(row: str, **counts: int) -> None:
    """Add `counts` to `row`'s columns (names as in ROWS)."""
    if row not in ROWS:
        raise KeyError(f"unknown reliability row {row!r}; add it to ROWS")
    unknown = set(counts) - set(ROWS[row])
    if unknown:
        raise KeyError(f"unknown columns {sorted(unknown)} for {row!r}")
    with _lock:
        for column, value in counts.items():
            _figures[row][column] += value


def merge(counted: dict[str, dict[str, int]]) -> None:
    """Add figures counted elsewhere: a pytest-xdist worker's, in the process that prints them."""
    for row, columns in counted.items():
        record(row, **columns)


def figures() -> dict[str, dict[str, int]]:
    with _lock:
        return {row: dict(_figures[row]) for row in ROWS if row in _figures}


def table() -> str:
    lines = ["| what | figures |", "|---|---|"]
    for row, columns in figures().items():
        cells = ", ".join(f"{column} {columns.get(column, 0):,}" for column in ROWS[row])
        lines.append(f"| {row} | {cells} |")
    return "\n".join(lines)


def save(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "reliability.json"
    path.write_text(json.dumps(figures(), indent=2) + "\n")
    return path
