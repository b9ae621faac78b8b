"""Strict mode: the least forgiving operator. It refuses begin fields beyond the seed's three and
sponsors that are not registered character for character, and sends notifications without HTTP
Basic credentials unless it is given some."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from sandbox import SandboxConfig, SandboxOperator
from sandbox.__main__ import configure

SEED_BEGIN = {"sponsor": "01052680000", "caller": "8613912345673", "callee": "+8613800000002"}


@pytest.fixture
def strict(make_operator: Callable[..., SandboxOperator]) -> SandboxOperator:
    return make_operator(strict=True)


@pytest.fixture
def strict_api(strict: SandboxOperator, api_for: Callable[..., Any]) -> Any:
    return api_for(strict)


@pytest.mark.parametrize(
    "extra",
    [{"record": 1}, {"record": 0}, {"callerDisplay": "x"}, {"sponsor2": ""}],
    ids=["record", "record-off", "unknown", "empty-unknown"],
)
def test_a_field_beyond_the_seed_s_three_is_refused(
    strict: SandboxOperator, strict_api: Any, extra: dict[str, Any]
) -> None:
    response = strict_api.post("/clicktodialbegin", {**SEED_BEGIN, **extra})

    assert response.status_code == 400
    assert response.json() == {"code": "0000002", "description": "Invalid Input Value"}
    assert strict.calls == {}


def test_the_seed_s_three_fields_are_accepted(strict: SandboxOperator, strict_api: Any) -> None:
    response = strict_api.post("/clicktodialbegin", SEED_BEGIN)

    assert response.status_code == 200
    assert len(strict.calls) == 1


@pytest.mark.parametrize("sponsor", ["861052680000", "+861052680000", "1052680000", "010526800000"])
def test_a_sponsor_not_registered_exactly_is_refused(
    strict: SandboxOperator, strict_api: Any, sponsor: str
) -> None:
    response = strict_api.post("/clicktodialbegin", {**SEED_BEGIN, "sponsor": sponsor})

    assert response.status_code == 400
    assert response.json() == {"code": "0001001", "description": "User Not Exist"}
    assert strict.calls == {}


def test_the_registered_sponsors_are_the_configured_strings(
    make_operator: Callable[..., SandboxOperator], api_for: Callable[..., Any]
) -> None:
    api = api_for(make_operator(strict=True, sponsors=("+861052680000",)))

    registered = api.post("/clicktodialbegin", {**SEED_BEGIN, "sponsor": "+861052680000"})
    national = api.post("/clicktodialbegin", SEED_BEGIN)

    assert registered.status_code == 200
    assert (national.status_code, national.json()["code"]) == (400, "0001001")


def test_without_strict_mode_any_sponsor_and_the_record_field_pass(api: Any) -> None:
    response = api.post("/clicktodialbegin", {**SEED_BEGIN, "sponsor": "861052680000", "record": 1})

    assert response.status_code == 200


def test_notifications_carry_no_credentials_unless_configured(
    strict: SandboxOperator, strict_api: Any, portal: Any
) -> None:
    callidentifier = strict_api.place("+8613800000002")
    assert strict.wait_for_call_end(callidentifier, timeout=5)

    received = portal.for_call(callidentifier)
    assert len(received) == 3
    assert all("Authorization" not in r.headers for r in received)


def test_configured_credentials_are_sent_in_strict_mode(
    make_operator: Callable[..., SandboxOperator], api_for: Callable[..., Any], portal: Any
) -> None:
    operator = make_operator(strict=True, notify_username="op", notify_password="s3cret")
    callidentifier = api_for(operator).place("+8613800000002")
    assert operator.wait_for_call_end(callidentifier, timeout=5)

    expected = "Basic " + base64.b64encode(b"op:s3cret").decode()
    assert {r.headers.get("Authorization") for r in portal.for_call(callidentifier)} == {expected}


@pytest.mark.parametrize(
    ("config", "credentials"),
    [
        (SandboxConfig(), ("sandbox-operator", "sandbox-notify-secret")),
        (SandboxConfig(notify_password="p"), ("sandbox-operator", "p")),
        (SandboxConfig(strict=True), None),
        (SandboxConfig(strict=True, notify_username="u", notify_password="p"), ("u", "p")),
    ],
    ids=["defaults", "password-only", "strict", "strict-configured"],
)
def test_notify_credentials(config: SandboxConfig, credentials: tuple[str, str] | None) -> None:
    assert config.notify_credentials == credentials


# -- configuration -------------------------------------------------------------------------------


def test_strict_mode_from_the_environment() -> None:
    config = SandboxConfig.from_env(
        {"SANDBOX_STRICT": "1", "SANDBOX_SPONSORS": " 01052680000 , 075512345678,"}
    )

    assert config.strict
    assert config.notify_credentials is None
    assert config.sponsors == ("01052680000", "075512345678")


def test_configured_credentials_and_the_portal_s_sponsor_from_the_environment() -> None:
    config = SandboxConfig.from_env(
        {
            "SANDBOX_STRICT": "true",
            "OPERATOR_NOTIFY_USERNAME": "op",
            "OPERATOR_NOTIFY_PASSWORD": "pw",
            "OPERATOR_SPONSOR": "+861052680000",
        }
    )

    assert config.notify_credentials == ("op", "pw")
    assert config.sponsors == ("01052680000", "02161230000", "+861052680000")


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_strict_mode_is_off_unless_asked_for(value: str) -> None:
    config = SandboxConfig.from_env({"SANDBOX_STRICT": value})

    assert not config.strict
    assert config.notify_credentials == ("sandbox-operator", "sandbox-notify-secret")


def test_the_strict_flag_on_the_command_line() -> None:
    assert configure(["--strict"], {}).strict
    assert not configure([], {}).strict
    assert configure([], {"SANDBOX_STRICT": "1"}).strict
    assert configure(["--strict"], {}).notify_credentials is None
