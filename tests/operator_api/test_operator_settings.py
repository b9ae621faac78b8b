"""get_operator(): the adapter the Django settings describe, with its token in Django's cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from operator_api import SeedV1Operator, TokenStore, get_operator


@pytest.fixture
def operator_settings(stub: Any) -> Iterator[None]:
    from django.conf import settings

    # Standalone runs (without pytest-django) have no settings module; Django's defaults do.
    if not settings.configured:
        settings.configure()
    with override_settings(
        OPERATOR_API_BASE_URL=stub.base_url,
        OPERATOR_TOKEN_URL=stub.token_url,
        OPERATOR_CLIENT_ID=stub.client_id,
        OPERATOR_CLIENT_SECRET=stub.client_secret,
        OPERATOR_TOKEN_AUTH="client_secret_basic",
        OPERATOR_NUMBER_FORMAT="e164",
        OPERATOR_CONNECT_TIMEOUT=1.5,
        OPERATOR_READ_TIMEOUT="7",
        OPERATOR_DOWNLOAD_TIMEOUT=60,
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"operator-settings-{uuid.uuid4()}",
            }
        },
    ):
        yield


def test_it_builds_the_seed_adapter_from_settings(operator_settings: None) -> None:
    operator = get_operator()

    assert isinstance(operator, SeedV1Operator)
    config = operator.config
    assert (config.token_auth, config.number_format) == ("client_secret_basic", "e164")
    assert (config.connect_timeout, config.read_timeout, config.download_timeout) == (
        1.5,
        7.0,
        60.0,
    )


def test_its_adapters_share_the_token_through_djangos_cache(
    stub: Any, operator_settings: None
) -> None:
    from django.core.cache import cache

    get_operator().begin(sponsor="+861052680000", caller="+8613912345673", callee="+8613810268653")
    get_operator().release(callidentifier="A010B020")

    assert len(stub.token_requests) == 1
    assert stub.token_requests[0].headers["authorization"].startswith("Basic ")
    assert stub.received("/clicktodialbegin")[0].json()["caller"] == "+8613912345673"
    key = TokenStore.key_for(token_url=stub.token_url, client_id=stub.client_id)
    assert cache.get(key) == "token-1"
