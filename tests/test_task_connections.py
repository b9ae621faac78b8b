"""A task's database connection lives as a request's does (clicktodial_portal/celery.py): kept
between tasks for CONN_MAX_AGE, closed once too old. Celery's Django fixup would open a new one
for every task (a PostgreSQL backend started for each begin and each recording)."""

from __future__ import annotations

import time

import pytest
from celery import signals
from django.db import connection

from clicktodial_portal.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


def _task_runs() -> None:
    """What a worker signals around a task, for a task run by a worker (not eagerly)."""
    task = celery_app.tasks["calls.tasks.call_begin_task"]
    assert task.request.is_eager is False
    signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={})


# `celery_worker` in each test, though unused in its body: starting a worker installs Celery's
# Django fixup (on worker_init), whose closing of connections around every task is what
# CELERY_DB_REUSE_MAX turns off; without it the first test would pass whatever the setting.


def test_the_connection_is_kept_from_one_task_to_the_next(celery_worker) -> None:
    connection.ensure_connection()
    kept = connection.connection
    for _ in range(5):
        _task_runs()
        assert connection.connection is kept


def test_a_connection_older_than_conn_max_age_is_closed_after_a_task(celery_worker) -> None:
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1
    _task_runs()
    assert connection.connection is None
