"""Each pytest-xdist worker's Redis databases (tests/worker_isolation.py): distinct from every
other worker's and from a run without workers, whatever form the URL takes."""

import pytest

from tests.worker_isolation import _redis_database_moved


@pytest.mark.parametrize(
    ("url", "worker", "moved"),
    [
        ("redis://127.0.0.1:6379/0", 0, "redis://127.0.0.1:6379/2"),
        ("redis://127.0.0.1:6379/1", 0, "redis://127.0.0.1:6379/3"),
        ("redis://127.0.0.1:6379/1", 1, "redis://127.0.0.1:6379/5"),
        ("redis://127.0.0.1:6379", 1, "redis://127.0.0.1:6379/4"),  # no number: database 0
        ("redis://127.0.0.1:6379/", 0, "redis://127.0.0.1:6379/2"),
        ("rediscache://h:6379/1?timeout=5", 0, "rediscache://h:6379/3?timeout=5"),
        ("rediss://user:secret@h:6380/3", 1, "rediss://user:secret@h:6380/7"),
        ("filesystem://", 1, "filesystem://"),  # each worker's own folder instead
    ],
)
def test_a_workers_redis_database(url, worker, moved):
    assert _redis_database_moved(url, worker) == moved


def test_more_workers_than_redis_has_databases_is_said_plainly():
    with pytest.raises(RuntimeError, match="PYTEST_WORKERS"):
        _redis_database_moved("redis://127.0.0.1:6379/1", 7)
