"""The Celery app, configured from Django settings (the `CELERY_` names)."""

import os
import random

import click
from celery import Celery, bootsteps, signals
from django.db import close_old_connections, transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicktodial_portal.settings")

app = Celery("clicktodial_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.user_options["worker"].add(
    click.Option(
        ("--niceness",),
        type=click.IntRange(0, 19),
        default=0,
        help="Run this worker's processes at a lower CPU priority (added to their nice value): "
        "the Procfile's recordings worker, whose downloads may wait, takes 10.",
    )
)


class WorkerNiceness(bootsteps.Step):
    """The worker's --niceness, applied before its pool starts, so that its children inherit it.

    On a host whose cores are busy, the scheduler then serves the web processes and the calls
    worker first, whose answers a person or the operator waits for: the bulk work (a recording's
    download and storing, due within seconds, not milliseconds) takes the cores they leave.
    Measured with bench/capacity.py's steps (issue 20): see bench/README.md.
    """

    def __init__(self, parent: object, niceness: int = 0, **options: object) -> None:
        super().__init__(parent, **options)
        if niceness:
            os.nice(niceness)


app.steps["worker"].add(WorkerNiceness)


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_db_connections(sender: object = None, **kwargs: object) -> None:
    """A task's database connections follow the rule a request's do: kept for CONN_MAX_AGE (at
    least until the thread's next task), checked before reuse (CONN_HEALTH_CHECKS), closed after
    an error that left them unusable. Celery's Django fixup would close them before and after
    every task instead (settings.CELERY_DB_REUSE_MAX says why it does not). An eager task runs
    inside its caller's transaction: nothing to do there."""
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()


@signals.task_retry.connect
def _retry_counted(sender: object = None, **kwargs: object) -> None:
    from clicktodial_portal.metrics import TASK_RETRIES

    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


def task_send(name: str, *args: object, countdown: float | None = None) -> None:
    """Send the task registered as `name` (its module path, `calls.tasks.call_begin_task`); a
    broker that cannot take it raises its error (kombu's OperationalError, or an OSError).

    This is how services enqueue work: by the task's name, so that a services module never imports
    its tasks module (tasks import services). Each app's AppConfig.ready imports its tasks, so
    every process that sends one has it registered, and eager mode (the tests') still applies.
    """
    app.tasks[name].apply_async(args, countdown=countdown)


def task_send_on_commit(name: str, *args: object, countdown: float | None = None) -> None:
    """Send the task once the current transaction commits (at once outside one): a worker must
    never look for a row that is not there yet."""
    transaction.on_commit(lambda: task_send(name, *args, countdown=countdown))


def retry_delay(first: float, retries: int, *, most: float | None = None) -> float:
    """Seconds to wait before retry number `retries` (0 for the first): exponential backoff with
    jitter, `first` doubled per retry (capped at `most`), then a random half to the whole of it,
    so that work refused together (by a busy operator, say) does not all come back at once."""
    ceiling = first * 2**retries
    if most is not None:
        ceiling = min(ceiling, most)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (spreading retries, not a secret)
