"""What every test shares: one fast password hasher, the size of the property-based tests, and
the fixtures for people, members, contacts and the sandbox operator."""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from calls.models import Contact
from clicktodial_portal.celery import app as celery_app
from members.models import Member
from sandbox.server import SandboxConfig, SandboxOperator

NOTIFY_USERNAME = "sandbox-operator"
NOTIFY_PASSWORD = "sandbox-notify-secret"

# One fast hasher for every test: the people fixtures hash a password each, and PBKDF2's
# deliberate slowness took most of the suite's time. The project's own hashers stay listed after
# it, so that a hash made by the project's settings (a `manage.py` or server run as a subprocess)
# still verifies here; new hashes are MD5, which those subprocesses cannot read, so they log in
# with tokens or with users they make themselves. Enabled at import, before any test hashes.
override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *django_settings.PASSWORD_HASHERS,
    ]
).enable()

# The property-based tests (the state machine in tests/calls/test_delivery_orders.py, Schemathesis
# in tests/test_api_fuzz.py) take their size from the profile: full under `make reliability`,
# which sets HYPOTHESIS_PROFILE=full, and about a third of it in `make test`.
hypothesis_settings.register_profile("full", max_examples=50, stateful_step_count=40)
hypothesis_settings.register_profile("quick", max_examples=15, stateful_step_count=25)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture(autouse=True)
def _eager_tasks_and_clean_cache(settings) -> Iterator[None]:
    # Tasks run in the thread that enqueued them (after commit), so a test sees their effect.
    celery_app.conf.task_always_eager = True
    settings.OPERATOR_NOTIFY_USERNAME = NOTIFY_USERNAME
    settings.OPERATOR_NOTIFY_PASSWORD = NOTIFY_PASSWORD
    settings.CALL_BEGIN_RETRY_DELAY = 0
    # Most tests place several calls for one member in a row: the limits on that have their own
    # tests (tests/calls/test_call_policy.py), which set them back.
    settings.CALL_MAX_ACTIVE_PER_MEMBER = 0
    settings.CALL_RATE_LIMIT = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """Each test starts in the default language: a request in Chinese leaves Chinese active in
    the thread (LocaleMiddleware), which would change the next test's messages."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _recordings_in_a_temporary_folder(settings, tmp_path) -> None:
    """Downloaded recordings go to the test's own folder, never to var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "recordings"), "base_url": None},
        },
    }


def _use_a_broker_of_the_tests_own() -> None:
    """On the embedded defaults the broker is a folder: give the tests their own, so that a running
    `make run` worker never takes their tasks. Done at import, before Celery caches the options."""
    if not celery_app.conf.broker_url.startswith("filesystem://"):
        return
    folder = Path(django_settings.VAR_DIR) / "test-broker"
    shutil.rmtree(folder, ignore_errors=True)
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True)
    celery_app.conf.broker_transport_options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.05,
    }


_use_a_broker_of_the_tests_own()


@pytest.fixture(scope="session")
def _celery_worker_thread(django_db_setup, django_db_blocker) -> Iterator[None]:
    """A real Celery worker (in a thread) consuming from the configured broker, for the session:
    the file-system transport on the embedded defaults, Redis in CI's second run."""
    if not celery_app.conf.broker_url.startswith("filesystem://"):
        celery_app.control.purge()
    with (
        django_db_blocker.unblock(),
        start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30),
    ):
        yield


@pytest.fixture
def celery_worker(_celery_worker_thread, transactional_db) -> Iterator[None]:
    """Send tasks through the broker to the real worker instead of running them in place.

    Tasks an earlier test left queued (a retry's, a download's) are dropped first: their rows
    are gone, and the session's one-thread worker would otherwise run them before this test's
    (on RabbitMQ a begin was seen to wait 9 s behind them)."""
    if not celery_app.conf.broker_url.startswith("filesystem://"):
        celery_app.control.purge()
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def employee(django_user_model):
    return django_user_model.objects.create_user(
        username="wang", password="pw-wang-123", first_name="Wang", last_name="Fang"
    )


@pytest.fixture
def teammate(django_user_model):
    return django_user_model.objects.create_user(username="li", password="pw-li-123")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user(
        username="boss", password="pw-boss-123", is_staff=True, is_superuser=True
    )


@pytest.fixture
def member(employee) -> Member:
    return Member.objects.create(name="Wang Fang", phone_number="+8613912345673", user=employee)


@pytest.fixture
def teammate_member(teammate) -> Member:
    return Member.objects.create(name="Li Na", phone_number="+8613912340000", user=teammate)


@pytest.fixture
def contact(employee) -> Contact:
    return Contact.objects.create(owner=employee, name="Li Wei", phone_number="+8613800000001")


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def api(employee) -> APIClient:
    return api_client_for(employee)


# The test client logged in as the employee, or as the admin, for the pages.
@pytest.fixture
def as_employee(client, employee):
    client.force_login(employee)
    return client


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def make_sandbox(live_server, settings) -> Iterator:
    """Start a sandbox operator on a free port, calling back the live test server, 50 times faster.

    The portal's settings are pointed at the sandbox started last.
    """
    started: list[SandboxOperator] = []

    def make(**overrides) -> SandboxOperator:
        config = {
            "client_id": "test-client",
            "client_secret": "test-secret",
            "notify_url": f"{live_server.url}/clicktodial/v1/clicktodialstatusnotify/"
            "{callidentifier}",
            "notify_username": NOTIFY_USERNAME,
            "notify_password": NOTIFY_PASSWORD,
            "time_scale": 0.02,
            "begin_delay_slow": 2.0,
            **overrides,
        }
        operator = SandboxOperator(SandboxConfig(**config))
        operator.start()
        started.append(operator)
        settings.OPERATOR_API_BASE_URL = operator.base_url
        settings.OPERATOR_TOKEN_URL = operator.token_url
        settings.OPERATOR_CLIENT_ID = config["client_id"]
        settings.OPERATOR_CLIENT_SECRET = config["client_secret"]
        settings.OPERATOR_READ_TIMEOUT = 1.0
        return operator

    yield make
    for operator in started:
        operator.stop()


@pytest.fixture
def sandbox(make_sandbox) -> SandboxOperator:
    return make_sandbox()


def pytest_sessionfinish(session) -> None:
    """In a pytest-xdist worker, its reliability figures go back to the controller, which
    prints the table (below)."""
    from tests import reliability

    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["reliability"] = reliability.figures()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """In the controller, a finished worker's reliability figures added to the table's."""
    from tests import reliability

    reliability.merge(getattr(node, "workeroutput", {}).get("reliability", {}))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """After a run with reliability tests, their figures as a table (tests/reliability.py)."""
    from tests import reliability

    if not reliability.figures():
        return
    path = reliability.save(Path(django_settings.VAR_DIR) / "test-artifacts")
    terminalreporter.section("reliability figures")
    terminalreporter.write_line(reliability.table())
    terminalreporter.write_line(f"(also in {path})")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server, over HTTP on a free port, as an S3-compatible store would be; its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_recordings(s3_server, settings, monkeypatch) -> Callable[[str], object]:
    """Recordings in an S3 bucket on moto's server, chosen by settings alone; returns a function
    making a boto3 client to look into the store."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    def use_bucket(bucket: str):
        settings.STORAGES = {
            **settings.STORAGES,
            "recordings": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": s3_server,
                    "region_name": "us-east-1",
                    "location": "recordings",
                    "file_overwrite": False,
                },
            },
        }
        return boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")

    return use_bucket
