"""Fixtures shared by every test: people, members, contacts, and the sandbox operator."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from calls.models import Contact
from clicktodial_portal.celery import app as celery_app
from members.models import Member
from sandbox.server import SandboxConfig, SandboxOperator

NOTIFY_USERNAME = "sandbox-operator"
NOTIFY_PASSWORD = "sandbox-notify-secret"


@pytest.fixture(autouse=True)
def _eager_tasks_and_clean_cache(settings) -> Iterator[None]:
    # Tasks run in the thread that enqueued them (after commit), so a test sees their effect.
    celery_app.conf.task_always_eager = True
    settings.OPERATOR_NOTIFY_USERNAME = NOTIFY_USERNAME
    settings.OPERATOR_NOTIFY_PASSWORD = NOTIFY_PASSWORD
    settings.CALL_BEGIN_RETRY_DELAY = 0
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture
def sandbox(live_server, settings) -> Iterator[SandboxOperator]:
    """The sandbox operator on a free port, calling back the live test server, 50× faster."""
    operator = SandboxOperator(
        SandboxConfig(
            host="127.0.0.1",
            port=0,
            client_id="test-client",
            client_secret="test-secret",
            notify_url=f"{live_server.url}/clicktodial/v1/clicktodialstatusnotify/{{callidentifier}}",
            notify_username=NOTIFY_USERNAME,
            notify_password=NOTIFY_PASSWORD,
            time_scale=0.02,
            token_ttl=3600,
            begin_delay_slow=2.0,
        )
    )
    operator.start()
    settings.OPERATOR_API_BASE_URL = operator.base_url
    settings.OPERATOR_TOKEN_URL = operator.token_url
    settings.OPERATOR_CLIENT_ID = "test-client"
    settings.OPERATOR_CLIENT_SECRET = "test-secret"
    settings.OPERATOR_READ_TIMEOUT = 1.0
    yield operator
    operator.stop()
