"""A worker killed while it delivers a message (issue 21): the process is killed with SIGKILL while
the receiver holds its request open. The message stays in the outbox, held by the dead worker's
lease; once the lease has run out the sweep sends it again, with the same id, and it is delivered.
The kill is real; the lease's running out is not waited for (WEBHOOK_TIMEOUT and 30 s): the test
moves its end to the past."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.helpers import database_url, wait_until
from tests.reliability import record
from webhooks import delivery, services
from webhooks.models import WebhookAttempt, WebhookMessage

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("quick_webhooks"),
]


def deliverer(message_id: int, tmp_path) -> subprocess.Popen:
    """A process doing what the delivery task does, with the project's settings."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "PORTAL_VAR_DIR": str(tmp_path / "deliverer"),
    }
    code = f"from webhooks.delivery import message_deliver; message_deliver({message_id})"
    return subprocess.Popen(  # noqa: S603 - this venv's Python, fixed arguments
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=open(tmp_path / "deliverer.log", "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_message_whose_worker_was_killed_is_delivered_again_with_its_id(
    admin_user, receiver, tmp_path
):
    endpoint = services.endpoint_create(actor=admin_user, url=receiver.url, events=["call.ended"])
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        event_type="webhook.test",
        body='{"type":"webhook.test","timestamp":"2026-12-08T00:00:00.000Z","data":{}}',
    )
    receiver.hang = 60  # the first request is held open until the worker is gone

    worker = deliverer(message.pk, tmp_path)
    try:
        wait_until(lambda: receiver.hang == 0, timeout=30, what="the worker's request")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.leased_until > timezone.now()  # held by the dead worker
    assert WebhookAttempt.objects.count() == 0  # it kept no answer
    assert delivery.messages_due_send() == 0
    WebhookMessage.objects.filter(pk=message.pk).update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )

    assert delivery.messages_due_send() == 1
    receiver.wait_for(1)
    (delivered,) = receiver.accepted()
    assert delivered.headers["webhook-id"] == message.message_id
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 2)
    record("worker deaths", injected=1, survived=1)
