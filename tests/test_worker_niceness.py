"""The Procfile's recordings worker runs at a lower CPU priority than the rest (`--niceness 10`,
clicktodial_portal.celery.WorkerNiceness), its pool's processes too: on busy cores the web and
the calls worker, whose answers someone waits for, are served first."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clicktodial_portal.procfile import procfile_commands

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the processes from /proc"
)

ROOT = Path(__file__).resolve().parent.parent


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):  # ended meanwhile
            continue
        if parent == pid:
            children.append(int(stat.parent.name))
    return children


def test_the_recordings_worker_and_its_pool_run_at_niceness_10(tmp_path):
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    worker = subprocess.Popen(  # noqa: S603 - the Procfile's recordings command
        procfile_commands()["recordings"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_VAR_DIR": str(tmp_path)},
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while len(children := _children(worker.pid)) < 2:  # --concurrency 2
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        niceness = {pid: os.getpriority(os.PRIO_PROCESS, pid) for pid in [worker.pid, *children]}
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    assert set(niceness.values()) == {min(ours + 10, 19)}, niceness


def test_a_worker_without_the_option_keeps_its_priority():
    from clicktodial_portal.celery import WorkerNiceness

    before = os.getpriority(os.PRIO_PROCESS, 0)
    WorkerNiceness(parent=None)

    assert os.getpriority(os.PRIO_PROCESS, 0) == before
