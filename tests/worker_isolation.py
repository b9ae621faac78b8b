"""Each pytest-xdist worker its own portal: its own var folder (SQLite database, file-system
broker, file cache, media, metrics) and its own Redis databases, so that one worker's
`cache.clear()` or Celery test worker never touches the other's.

A plugin (`-p tests.worker_isolation` in pyproject's addopts) rather than a conftest: the
settings read these variables when pytest-django sets Django up, which is before any conftest
is imported. Without xdist, or in the controller, it changes nothing.

A worker's portal takes the shared folder's name plus the worker's (`var/xdist-gw0`); the
screenshots the browser tests leave still go to the shared folder (`SHARED_VAR_DIR`), where a
person looks for them.
"""

import os
import re
from pathlib import Path

# The shared var folder, as the settings would have it without this plugin.
SHARED_VAR_DIR = Path(
    os.environ.get("PORTAL_VAR_DIR", Path(__file__).resolve().parent.parent / "var")
)

# A Redis URL (also django-environ's rediscache:// for the cache) and its database number, the
# path's one segment: none means database 0.
_REDIS_URL = re.compile(r"^((?:rediss?|rediscache)://[^/?]*)(?:/(\d*))?(\?.*)?$")
# Redis's default number of databases (its `databases` setting).
_REDIS_DATABASES = 16


def _redis_database_moved(url: str, worker_number: int) -> str:
    """The same Redis server, another database: 0 → 2 + 2n, 1 → 3 + 2n, so that worker n's
    broker and cache differ from each other, from every other worker's and from a run without
    workers (databases 0 and 1)."""
    found = _REDIS_URL.match(url)
    if not found:
        return url
    server, database, query = found.groups()
    moved = int(database or 0) + 2 * (worker_number + 1)
    if moved >= _REDIS_DATABASES:
        raise RuntimeError(
            f"{url}: worker gw{worker_number} would need Redis database {moved}, past the "
            f"{_REDIS_DATABASES} a default Redis has: run fewer workers (PYTEST_WORKERS)"
        )
    return f"{server}/{moved}{query or ''}"


def _isolate(worker: str) -> None:
    if os.environ.get("CELERY_BROKER_URL", "").startswith(("amqp", "pyamqp")):
        # One RabbitMQ virtual host, one "celery" queue: workers would take each other's tasks.
        raise RuntimeError("the tests on RabbitMQ run in one process: pass PYTEST_WORKERS=0")
    worker_number = int(worker.removeprefix("gw"))
    var_dir = SHARED_VAR_DIR / f"xdist-{worker}"
    os.environ["PORTAL_VAR_DIR"] = str(var_dir)
    # The controller's settings put the shared folder's metrics folder in the environment the
    # workers inherit; a worker counts in its own (an empty value turns the metrics' multiprocess
    # mode off, and stays so).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(var_dir / "metrics")
    for name in ("CACHE_URL", "CELERY_BROKER_URL"):
        if url := os.environ.get(name):
            os.environ[name] = _redis_database_moved(url, worker_number)


if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    _isolate(worker)
