"""The seed's §4.4 error table: every code maps to its exception, message and retry flag."""

from __future__ import annotations

import pickle

import pytest

from operator_api import (
    ERROR_CODES,
    CallIdError,
    InternalServiceError,
    OperatorError,
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    TrafficControlFailure,
    UserStatusError,
    error_from_response,
)


def test_each_seed_code_maps_to_its_exception(
    seed_error: tuple[int, str, str, type[OperatorError], bool],
) -> None:
    status, code, description, cls, permanent = seed_error
    error = error_from_response(http_status=status, code=code, description=description)

    assert type(error) is cls
    assert error.permanent is permanent
    assert (error.code, error.description, error.http_status) == (code, description, status)
    assert str(error) == error.message
    assert error.message.startswith("The operator")


def test_the_table_lists_every_code(
    seed_error_table: list[tuple[int, str, str, type[OperatorError], bool]],
) -> None:
    expected = {
        code: cls for _, code, _, cls, _ in seed_error_table if cls is not TrafficControlFailure
    }
    assert expected == ERROR_CODES


def test_a_blacklisted_number_reads_plainly() -> None:
    error = error_from_response(http_status=400, code="0001008", description="User In Blacklist")
    assert str(error) == "The operator refused the call: the number is on the operator's blacklist."


@pytest.mark.parametrize(
    "description",
    [None, "User Status Error", "Traffic Control Failure", "流量控制失败", "用户状态错误"],
)
def test_0001002_is_read_by_context_not_by_its_words(description: str | None) -> None:
    error = error_from_response(http_status=403, code="0001002", description=description)

    assert type(error) is UserStatusError
    # Both of the seed's meanings, since nothing in the answer tells which one it is.
    assert "not active" in str(error)
    assert "limiting calls" in str(error)
    assert error.code == "0001002"
    assert error.permanent is False


@pytest.mark.parametrize(("status", "rate_limited"), [(403, True), (429, False)])
def test_0001002_with_a_sign_of_rate_limiting_is_traffic_control(
    status: int, rate_limited: bool
) -> None:
    error = error_from_response(
        http_status=status, code="0001002", description="用户状态错误", rate_limited=rate_limited
    )
    assert type(error) is TrafficControlFailure
    assert error.permanent is False


@pytest.mark.parametrize("status", [200, 500, 503, 504])
def test_engine_timeout_means_the_outcome_is_unknown_at_any_status(status: int) -> None:
    error = error_from_response(http_status=status, code="1000001", description="Engine Timeout")
    assert isinstance(error, OperatorOutcomeUnknown)
    assert error.code == "1000001"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
def test_a_server_error_without_a_known_code_is_outcome_unknown(status: int) -> None:
    """A gateway's page, or the operator's own error with a code no table has: the request may
    have been carried out."""
    for code in (None, "0009999"):
        error = error_from_response(http_status=status, code=code, description="Gateway Timeout")
        assert type(error) is OperatorOutcomeUnknown
        assert (error.code, error.http_status) == (code, status)


def test_a_success_with_a_code_no_one_knows_is_outcome_unknown() -> None:
    error = error_from_response(http_status=200, code="0009999", description="Accepted?")
    assert type(error) is OperatorOutcomeUnknown


@pytest.mark.parametrize("status", [500, 502, 503])
def test_the_operators_own_code_is_its_verdict_whatever_the_status(status: int) -> None:
    """Nothing is retried on a code's say-so: 0000001 fails the call (the user may try again),
    1001002 says the operator has no such call."""
    internal = error_from_response(http_status=status, code="0000001", description="Busy")
    no_call = error_from_response(http_status=status, code="1001002", description="Call ID Error")

    assert type(internal) is InternalServiceError
    assert not isinstance(internal, OperatorUnreachable | OperatorOutcomeUnknown)
    assert type(no_call) is CallIdError


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (403, True), (429, False)])
def test_an_unknown_code_is_a_generic_error(status: int, permanent: bool) -> None:
    error = error_from_response(http_status=status, code="0009999", description="Odd Thing")

    assert type(error) is OperatorError
    assert error.permanent is permanent
    assert "Odd Thing" in str(error)
    assert "0009999" in str(error)


def test_errors_survive_pickling() -> None:
    error = error_from_response(
        http_status=403, code="0001002", description="Traffic Control", rate_limited=True
    )
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object

    assert type(copy) is TrafficControlFailure
    assert (copy.code, copy.description, copy.http_status, copy.permanent, copy.message) == (
        error.code,
        error.description,
        error.http_status,
        error.permanent,
        error.message,
    )
