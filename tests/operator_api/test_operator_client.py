"""The seed v1 adapter against a stub operator over real HTTP: what it sends, how it keeps and
renews its token, and how each kind of failure reaches the caller."""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import os
import signal
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache

from operator_api import (
    AuthenticationFailure,
    CallIdError,
    EngineTimeout,
    InternalServiceError,
    InvalidInputValue,
    InvalidPhoneNumber,
    NumberFormatError,
    OperatorConfig,
    OperatorError,
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    ReleaseOperation,
    SeedV1Operator,
    TokenStore,
    UserInBlacklist,
)
from tests.helpers import self_signed_certificate

MakeOperator = Callable[..., SeedV1Operator]
MakeConfig = Callable[..., OperatorConfig]
# The stub operator; its class lives in conftest.py, which test modules do not import.
Stub = Any
# The sponsor as the operator registered it (the seed's example), not in E.164.
NUMBERS = {"sponsor": "01052680000", "caller": "+8613912345673", "callee": "+8613810268653"}


def begin(operator: SeedV1Operator) -> str:
    return operator.begin(**NUMBERS)


def authorizations(stub: Stub, path: str) -> list[str]:
    return [request.headers["authorization"] for request in stub.received(path)]


# The interface ---------------------------------------------------------------------------------


def test_begin_sends_the_seeds_fields_and_returns_the_callidentifier(
    stub: Stub, operator: SeedV1Operator
) -> None:
    assert begin(operator) == stub.callidentifier

    [request] = stub.received("/clicktodialbegin")
    assert request.json() == {
        "sponsor": "01052680000",
        "caller": "8613912345673",
        "callee": "8613810268653",
    }
    assert request.headers["authorization"] == "Bearer token-1"
    assert request.headers["content-type"] == "application/json"


def test_a_default_begin_sends_only_the_seeds_three_fields_even_asked_to_record(
    stub: Stub, operator: SeedV1Operator
) -> None:
    operator.begin(**NUMBERS, record=True)

    [request] = stub.received("/clicktodialbegin")
    assert set(request.json()) == {"sponsor", "caller", "callee"}
    assert request.json()["sponsor"] == "01052680000"


@pytest.mark.parametrize(
    ("number_format", "expected"),
    [
        ("digits", {"caller": "8613912345673", "callee": "8613810268653"}),
        ("e164", {"caller": "+8613912345673", "callee": "+8613810268653"}),
        ("national", {"caller": "13912345673", "callee": "13810268653"}),
    ],
)
@pytest.mark.parametrize("sponsor", ["01052680000", "+861052680000", "861052680000"])
def test_begin_formats_caller_and_callee_and_sends_the_sponsor_as_configured(
    stub: Stub,
    make_operator: MakeOperator,
    number_format: str,
    expected: dict[str, str],
    sponsor: str,
) -> None:
    make_operator(number_format=number_format).begin(**{**NUMBERS, "sponsor": sponsor})

    [request] = stub.received("/clicktodialbegin")
    assert request.json() == {"sponsor": sponsor, **expected}


def test_begin_refuses_numbers_that_are_not_e164_before_asking(
    stub: Stub, operator: SeedV1Operator
) -> None:
    with pytest.raises(InvalidPhoneNumber):
        operator.begin(sponsor="+861052680000", caller="13912345673", callee="+8613810268653")
    assert stub.requests == []


def test_begin_accepts_a_numeric_code_and_a_camel_case_identifier(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/clicktodialbegin", body={"code": 0, "result": {"callIdentifier": "X1"}})
    assert begin(operator) == "X1"


def test_a_begin_success_without_identifier_is_outcome_unknown(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/clicktodialbegin", body={"code": "0000000", "description": "Success"})
    with pytest.raises(OperatorOutcomeUnknown):
        begin(operator)


@pytest.mark.parametrize("operation", [ReleaseOperation.END_CALL, ReleaseOperation.CONTINUE])
def test_release_posts_the_operation_to_the_calls_path(
    stub: Stub, operator: SeedV1Operator, operation: ReleaseOperation
) -> None:
    assert operator.release(callidentifier="A010B020", operation=operation) is None

    [request] = stub.received("/clicktodialrelease/A010B020")
    assert request.json() == {"operation": operation.value}
    assert request.headers["authorization"] == "Bearer token-1"


def test_release_ends_the_call_by_default(stub: Stub, operator: SeedV1Operator) -> None:
    operator.release(callidentifier="A010B020")

    [request] = stub.received("/clicktodialrelease/A010B020")
    assert request.json() == {"operation": "EndCall"}


def test_release_quotes_the_identifier_into_one_path_segment(
    stub: Stub, operator: SeedV1Operator
) -> None:
    operator.release(callidentifier="A/../B")
    assert stub.requests[-1].path == "/clicktodial/v1/clicktodialrelease/A%2F..%2FB"


def test_release_of_an_unknown_call_raises_call_id_error(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script(
        "/clicktodialrelease/GONE",
        status=400,
        body={"code": "1001002", "description": "Call ID Error"},
    )
    with pytest.raises(OperatorError) as excinfo:
        operator.release(callidentifier="GONE")
    assert excinfo.value.code == "1001002"
    assert excinfo.value.permanent is True


# Recording download ---------------------------------------------------------------------------


def test_recording_download_decodes_a_large_recording_exactly(
    stub: Stub, operator: SeedV1Operator
) -> None:
    audio = os.urandom(1_000_003)  # not a multiple of 3: the base64 ends in padding
    stub.recordings["20230101120001"] = audio
    destination = io.BytesIO()

    written = operator.recording_download(
        callidentifier="A010B020", recording_id="20230101120001", destination=destination
    )

    assert written == len(audio)
    assert destination.getvalue() == audio
    [request] = stub.received("/recordingdownload/A010B020")
    assert request.json() == {"recordingId": "20230101120001"}


def test_recording_download_tolerates_line_broken_base64_after_the_code(
    stub: Stub, operator: SeedV1Operator
) -> None:
    audio = b"RIFF....WAVEfmt " * 100
    encoded = base64.encodebytes(audio).decode()  # MIME style: a newline every 76 characters
    stub.script(
        "/recordingdownload/A010B020",
        body={"filedata": encoded, "description": "Success", "code": "0000000"},
    )
    destination = io.BytesIO()

    operator.recording_download(
        callidentifier="A010B020", recording_id="r1", destination=destination
    )

    assert destination.getvalue() == audio


def test_recording_download_without_filedata_is_a_retryable_error(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/recordingdownload/A010B020", body={"code": "0000000", "description": "Success"})
    with pytest.raises(OperatorError) as excinfo:
        operator.recording_download(
            callidentifier="A010B020", recording_id="r1", destination=io.BytesIO()
        )
    assert type(excinfo.value) is OperatorError
    assert excinfo.value.permanent is False


def test_recording_download_refuses_bad_base64_without_writing(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script(
        "/recordingdownload/A010B020",
        body={"code": "0000000", "filedata": "QUJD" * 10 + "not base64!"},
    )
    destination = io.BytesIO()
    with pytest.raises(OperatorError, match="could not be decoded"):
        operator.recording_download(
            callidentifier="A010B020", recording_id="r1", destination=destination
        )
    assert destination.getvalue() == b""


def test_recording_download_error_codes_are_mapped(stub: Stub, operator: SeedV1Operator) -> None:
    with pytest.raises(OperatorError) as excinfo:
        operator.recording_download(
            callidentifier="A010B020", recording_id="missing", destination=io.BytesIO()
        )
    assert excinfo.value.code == "0000002"
    assert excinfo.value.http_status == 400


def test_recording_download_waits_for_the_download_timeout(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache
) -> None:
    stub.script(
        "/recordingdownload/A010B020",
        body={"code": "0000000", "filedata": "YXVkaW8="},
        delay=0.5,
    )
    operator = with_cached_token(make_config, cache, read_timeout=0.2, download_timeout=2.0)
    destination = io.BytesIO()

    operator.recording_download(
        callidentifier="A010B020", recording_id="r1", destination=destination
    )

    assert destination.getvalue() == b"audio"


# The token ------------------------------------------------------------------------------------


def test_the_token_is_asked_for_with_credentials_in_the_form(
    stub: Stub, operator: SeedV1Operator
) -> None:
    begin(operator)

    [request] = stub.token_requests
    assert request.form() == {
        "grant_type": ["client_credentials"],
        "client_id": [stub.client_id],
        "client_secret": [stub.client_secret],
    }
    assert "authorization" not in request.headers
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"


def test_the_token_is_asked_for_with_http_basic(stub: Stub, make_operator: MakeOperator) -> None:
    begin(make_operator(token_auth="client_secret_basic"))

    [request] = stub.token_requests
    assert request.form() == {"grant_type": ["client_credentials"]}
    scheme, _, encoded = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    # RFC 6749 §2.3.1: id and secret are form-encoded inside the Basic credentials.
    assert base64.b64decode(encoded).decode() == f"{stub.client_id}:s3cret%2Fwith%2Bsymbols"


def test_bad_credentials_are_an_authentication_failure(
    stub: Stub, make_operator: MakeOperator
) -> None:
    with pytest.raises(AuthenticationFailure) as excinfo:
        begin(make_operator(client_secret="wrong"))

    assert excinfo.value.http_status == 400
    assert excinfo.value.description == "invalid_client"
    assert excinfo.value.permanent is True
    assert stub.received("/clicktodialbegin") == []


def test_a_failing_token_endpoint_is_unreachable(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script("/oauth/token", status=502, body=b"<html>Bad Gateway</html>")
    with pytest.raises(OperatorUnreachable):
        begin(operator)
    assert stub.received("/clicktodialbegin") == []


def test_a_token_answer_without_a_token_is_unreachable(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/oauth/token", body={"token_type": "Bearer"})
    with pytest.raises(OperatorUnreachable):
        begin(operator)


def test_the_token_is_reused_across_clients_sharing_a_cache(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache
) -> None:
    # Two adapters with separate stores stand for two processes sharing one cache server.
    first = SeedV1Operator(make_config(), token_store=TokenStore(cache))
    second = SeedV1Operator(make_config(), token_store=TokenStore(cache))

    begin(first)
    begin(second)
    second.release(callidentifier="A010B020")

    assert len(stub.token_requests) == 1
    assert authorizations(stub, "/clicktodialbegin") == ["Bearer token-1", "Bearer token-1"]
    assert authorizations(stub, "/clicktodialrelease/A010B020") == ["Bearer token-1"]


def test_each_client_and_token_endpoint_has_its_own_token() -> None:
    keys = {
        TokenStore.key_for(token_url="https://a.example/token", client_id="one"),
        TokenStore.key_for(token_url="https://a.example/token", client_id="two"),
        TokenStore.key_for(token_url="https://b.example/token", client_id="one"),
    }
    assert len(keys) == 3


def test_the_token_is_renewed_before_it_expires(stub: Stub, make_operator: MakeOperator) -> None:
    stub.token_expires_in = 2
    operator = make_operator(token_refresh_margin=1)

    begin(operator)
    begin(operator)
    time.sleep(1.1)  # token-1 is still valid at the operator, but inside the margin
    begin(operator)

    assert len(stub.token_requests) == 2
    assert authorizations(stub, "/clicktodialbegin") == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_concurrent_processes_fetch_the_token_once(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache
) -> None:
    stub.token_delay = 0.3
    operators = [SeedV1Operator(make_config(), token_store=TokenStore(cache)) for _ in range(4)]
    results: list[str] = []
    threads = [threading.Thread(target=lambda op=op: results.append(begin(op))) for op in operators]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["A010B020"] * 4
    assert len(stub.token_requests) == 1


def test_a_401_renews_the_token_once_and_retries_once(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script("/clicktodialbegin", status=401, body={"error": "invalid_token"})

    assert begin(operator) == "A010B020"

    assert len(stub.token_requests) == 2
    assert authorizations(stub, "/clicktodialbegin") == ["Bearer token-1", "Bearer token-2"]


def test_a_0001004_body_renews_the_token_once_and_retries_once(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script(
        "/clicktodialbegin",
        status=400,
        body={"code": "0001004", "description": "Authentication Failure"},
    )

    assert begin(operator) == "A010B020"

    assert len(stub.token_requests) == 2
    assert authorizations(stub, "/clicktodialbegin") == ["Bearer token-1", "Bearer token-2"]


def test_a_second_refusal_raises_authentication_failure(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/clicktodialbegin", status=401, body=b"Unauthorized")
    stub.script("/clicktodialbegin", body={"code": "0001004", "description": "Auth Failure"})

    with pytest.raises(AuthenticationFailure) as excinfo:
        begin(operator)

    assert excinfo.value.code == "0001004"
    assert excinfo.value.permanent is True
    assert len(stub.token_requests) == 2
    assert len(stub.received("/clicktodialbegin")) == 2


def test_a_renewed_token_is_shared_with_other_clients(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache
) -> None:
    first = SeedV1Operator(make_config(), token_store=TokenStore(cache))
    second = SeedV1Operator(make_config(), token_store=TokenStore(cache))
    begin(first)
    stub.script("/clicktodialbegin", status=401, body={})

    begin(first)
    begin(second)

    assert authorizations(stub, "/clicktodialbegin") == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
        "Bearer token-2",
    ]


# Operator errors and the transport -------------------------------------------------------------


def test_each_seed_error_reaches_the_caller_as_its_exception(
    stub: Stub,
    operator: SeedV1Operator,
    seed_error: tuple[int, str, str, type[OperatorError], bool],
) -> None:
    status, code, description, cls, permanent = seed_error
    # Twice, because 0001004 is retried once with a new token before it is believed.
    stub.script(
        "/clicktodialbegin", status=status, body={"code": code, "description": description}, times=2
    )

    with pytest.raises(OperatorError) as excinfo:
        begin(operator)

    assert type(excinfo.value) is cls
    assert excinfo.value.permanent is permanent
    assert (excinfo.value.code, excinfo.value.description) == (code, description)
    assert excinfo.value.http_status == status


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        # The seed's OpenAPI examples put the code in "status".
        (
            400,
            {"status": "0000002", "description": "Invalid Input Value"},
            InvalidInputValue,
            "0000002",
        ),
        (400, {"status": 1001002, "description": "Call ID Error"}, CallIdError, "1001002"),
        (400, {"status": 2, "description": "Invalid Input Value"}, InvalidInputValue, "0000002"),
        (
            200,
            {"status": "0001008", "description": "User In Blacklist"},
            UserInBlacklist,
            "0001008",
        ),
        (504, {"status": "1000001", "description": "Engine Timeout"}, EngineTimeout, "1000001"),
        # "code" first, when both are there.
        (400, {"code": "1001001", "status": "0000002"}, NumberFormatError, "1001001"),
    ],
)
def test_the_code_is_read_from_status_when_code_is_absent(
    stub: Stub,
    operator: SeedV1Operator,
    status: int,
    body: dict[str, Any],
    error: type[OperatorError],
    code: str,
) -> None:
    stub.script("/clicktodialbegin", status=status, body=body)

    with pytest.raises(OperatorError) as excinfo:
        begin(operator)

    assert type(excinfo.value) is error
    assert (excinfo.value.code, excinfo.value.http_status) == (code, status)


@pytest.mark.parametrize(
    "status",
    [200, "200", "OK", "success", {"code": "0001008"}, True, None],
    ids=["HTTP status", "HTTP status text", "word", "lower word", "object", "true", "null"],
)
def test_a_status_that_is_no_code_does_not_turn_a_success_into_an_error(
    stub: Stub, operator: SeedV1Operator, status: object
) -> None:
    stub.script("/clicktodialbegin", body={"status": status, "result": {"callidentifier": "X1"}})

    assert begin(operator) == "X1"


def test_a_0001004_in_status_renews_the_token_once(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script(
        "/clicktodialbegin", status=400, body={"status": "0001004", "description": "Auth Failure"}
    )

    assert begin(operator) == "A010B020"
    assert authorizations(stub, "/clicktodialbegin") == ["Bearer token-1", "Bearer token-2"]


def test_an_error_code_in_a_200_answer_is_an_error(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script("/clicktodialbegin", body={"code": "0001008", "description": "User In Blacklist"})
    with pytest.raises(OperatorError) as excinfo:
        begin(operator)
    assert str(excinfo.value) == (
        "The operator refused the call: the number is on the operator's blacklist."
    )


def test_503_with_the_operators_code_is_that_code_and_never_sent_again(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/clicktodialbegin", status=503, body={"code": "0000001", "description": "Busy"})
    with pytest.raises(InternalServiceError) as excinfo:
        begin(operator)
    assert excinfo.value.http_status == 503
    assert len(stub.received("/clicktodialbegin")) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_page_on_a_begin_is_outcome_unknown(
    stub: Stub, operator: SeedV1Operator, status: int
) -> None:
    stub.script("/clicktodialbegin", status=status, body=b"<html>Bad Gateway</html>")
    with pytest.raises(OperatorOutcomeUnknown):
        begin(operator)


def test_504_without_a_body_is_outcome_unknown(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script("/clicktodialbegin", status=504, body=b"Gateway Timeout")
    with pytest.raises(OperatorOutcomeUnknown):
        begin(operator)


def test_a_200_that_is_not_json_leaves_a_begin_unknown(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/clicktodialbegin", body=b"<html>OK</html>")
    with pytest.raises(OperatorOutcomeUnknown):
        begin(operator)


def test_a_refused_connection_is_unreachable(
    make_operator: MakeOperator, closed_port_url: str
) -> None:
    operator = make_operator(
        base_url=closed_port_url + "/clicktodial/v1", token_url=closed_port_url + "/oauth/token"
    )
    with pytest.raises(OperatorUnreachable) as excinfo:
        begin(operator)
    assert excinfo.value.permanent is False


def test_a_refused_begin_with_a_cached_token_is_unreachable(
    make_config: MakeConfig, cache: LocMemCache, closed_port_url: str
) -> None:
    config = make_config(base_url=closed_port_url + "/clicktodial/v1")
    cache.set(TokenStore.key_for(token_url=config.token_url, client_id=config.client_id), "t", 60)

    with pytest.raises(OperatorUnreachable):
        begin(SeedV1Operator(config, token_store=TokenStore(cache)))


def test_a_read_timeout_on_begin_is_outcome_unknown(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache
) -> None:
    stub.script("/clicktodialbegin", body={"code": "0000000"}, delay=0.6)
    with pytest.raises(OperatorOutcomeUnknown) as excinfo:
        begin(with_cached_token(make_config, cache, read_timeout=0.2))
    assert excinfo.value.description == "ReadTimeout"
    assert len(stub.received("/clicktodialbegin")) == 1


def test_a_dropped_connection_on_begin_is_outcome_unknown(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/clicktodialbegin", drop=True)
    with pytest.raises(OperatorOutcomeUnknown):
        begin(operator)
    assert len(stub.received("/clicktodialbegin")) == 1


def test_a_dropped_connection_on_download_is_a_retryable_error(
    stub: Stub, operator: SeedV1Operator
) -> None:
    stub.script("/recordingdownload/A010B020", drop=True)
    with pytest.raises(OperatorError) as excinfo:
        operator.recording_download(
            callidentifier="A010B020", recording_id="r1", destination=io.BytesIO()
        )
    assert not isinstance(excinfo.value, OperatorOutcomeUnknown)
    assert excinfo.value.permanent is False


# The mapping of every transport failure, request by request. The operator's verdict on a failed
# request: "unreachable" (nothing reached it: retry), "unknown" (a begin or release may have been
# carried out: never send it again on a guess), or a retryable error (a download, which changes
# nothing at the operator).


def with_cached_token(make_config: MakeConfig, cache: LocMemCache, **overrides: Any) -> Any:
    """An adapter that needs no token endpoint, so that only the request itself is tried."""
    config = make_config(**overrides)
    cache.set(TokenStore.key_for(token_url=config.token_url, client_id=config.client_id), "t", 60)
    return SeedV1Operator(config, token_store=TokenStore(cache))


def release(operator: SeedV1Operator) -> None:
    operator.release(callidentifier="A010B020")


def download(operator: SeedV1Operator) -> None:
    operator.recording_download(
        callidentifier="A010B020", recording_id="r1", destination=io.BytesIO()
    )


def test_a_connect_timeout_is_unreachable(
    make_config: MakeConfig, cache: LocMemCache, unanswered_port_url: str
) -> None:
    operator = with_cached_token(
        make_config, cache, base_url=unanswered_port_url + "/v1", connect_timeout=0.2
    )
    with pytest.raises(OperatorUnreachable) as excinfo:
        begin(operator)
    assert excinfo.value.description == "ConnectTimeout"


def test_a_name_that_does_not_resolve_is_unreachable(
    make_config: MakeConfig, cache: LocMemCache
) -> None:
    # .invalid never resolves (RFC 6761).
    operator = with_cached_token(make_config, cache, base_url="http://operator.invalid/v1")
    with pytest.raises(OperatorUnreachable) as excinfo:
        begin(operator)
    assert excinfo.value.description == "NameResolutionError"


def test_a_tls_error_other_than_a_refused_certificate_may_have_been_sent(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache
) -> None:
    """urllib3 reports a TLS error that breaks the answer's status line as it does a failed
    handshake: short of a refused certificate, nothing says the request was not written, so a
    begin is not tried again on its own (here the stub speaks plain HTTP)."""
    https = stub.base_url.replace("http://", "https://")
    with pytest.raises(OperatorOutcomeUnknown) as excinfo:
        begin(with_cached_token(make_config, cache, base_url=https))
    assert excinfo.value.description == "SSLError"


def test_a_refused_certificate_is_unreachable(
    make_config: MakeConfig, cache: LocMemCache, tmp_path
) -> None:
    """The handshake stops at the operator's certificate, before any request is written."""
    with (
        tls_server_with_a_self_signed_certificate(tmp_path) as (url, received),
        pytest.raises(OperatorUnreachable) as excinfo,
    ):
        begin(with_cached_token(make_config, cache, base_url=url))
    assert excinfo.value.description == "SSLError"
    assert received == []


@contextlib.contextmanager
def tls_server_with_a_self_signed_certificate(folder):
    """An HTTPS server whose certificate no trust store knows; the requests it read."""
    cert_file, key_file = self_signed_certificate(folder, "operator.example")
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}/clicktodial/v1", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_that_cannot_be_used_is_unreachable(
    make_config: MakeConfig, cache: LocMemCache
) -> None:
    with pytest.raises(OperatorUnreachable):
        begin(with_cached_token(make_config, cache, base_url="ftp://operator.example/v1"))


@pytest.mark.parametrize(
    ("failure", "description"),
    [
        pytest.param({"delay": 0.6}, "ReadTimeout", id="no answer in time"),
        pytest.param({"drop": True}, "RemoteDisconnected", id="dropped before answering"),
        pytest.param({"cut": 10}, "ChunkedEncodingError", id="body cut short"),
        pytest.param({"cut": 10, "stall": 0.6}, "ReadTimeout", id="body stalled"),
        pytest.param(
            {"headers": {"Content-Encoding": "gzip"}}, "ContentDecodingError", id="undecodable"
        ),
    ],
)
@pytest.mark.parametrize(
    ("path", "send"),
    [("/clicktodialbegin", begin), ("/clicktodialrelease/A010B020", release)],
    ids=["begin", "release"],
)
def test_a_request_that_acts_and_is_lost_after_sending_is_outcome_unknown(
    stub: Stub,
    make_config: MakeConfig,
    cache: LocMemCache,
    path: str,
    send: Callable[[SeedV1Operator], object],
    failure: dict[str, Any],
    description: str,
) -> None:
    stub.script(path, body={"code": "0000000", "result": {"callidentifier": "X1"}}, **failure)

    with pytest.raises(OperatorOutcomeUnknown) as excinfo:
        # A token at hand: only the request itself waits the short time (a loaded machine may
        # answer the token request slower than that).
        send(with_cached_token(make_config, cache, read_timeout=0.2))

    assert excinfo.value.description == description
    assert len(stub.received(path)) == 1  # never sent again


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param({"delay": 0.6}, id="no answer in time"),
        pytest.param({"drop": True}, id="dropped before answering"),
        pytest.param({"cut": 10}, id="body cut short"),
        pytest.param({"cut": 10, "stall": 0.6}, id="body stalled"),
        pytest.param({"headers": {"Content-Encoding": "gzip"}}, id="undecodable"),
    ],
)
def test_a_download_lost_after_sending_is_a_retryable_error(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache, failure: dict[str, Any]
) -> None:
    stub.script("/recordingdownload/A010B020", body={"filedata": "YXVkaW8="}, **failure)

    with pytest.raises(OperatorError) as excinfo:
        download(with_cached_token(make_config, cache, read_timeout=0.2, download_timeout=0.2))

    assert type(excinfo.value) is OperatorError
    assert excinfo.value.permanent is False


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param({"delay": 0.6}, id="no answer in time"),
        pytest.param({"drop": True}, id="dropped before answering"),
        pytest.param({"cut": 10}, id="body cut short"),
    ],
)
def test_a_token_request_lost_after_sending_is_unreachable(
    stub: Stub, make_operator: MakeOperator, failure: dict[str, Any]
) -> None:
    """Asking for a token places no call: whatever happened to it, asking again is safe."""
    stub.script("/oauth/token", body={"access_token": "t"}, **failure)

    with pytest.raises(OperatorUnreachable):
        begin(make_operator(read_timeout=0.2))

    assert stub.received("/clicktodialbegin") == []


def test_a_redirect_is_not_followed(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script(
        "/clicktodialbegin", status=307, body=b"", headers={"Location": stub.base_url + "/moved"}
    )

    with pytest.raises(OperatorError) as excinfo:
        begin(operator)

    assert excinfo.value.http_status == 307
    assert [request.path for request in stub.requests][1:] == ["/clicktodial/v1/clicktodialbegin"]


# The process's connections ---------------------------------------------------------------------


def test_every_adapter_in_a_process_shares_its_kept_connections(
    stub: Stub, make_config: MakeConfig, cache: LocMemCache
) -> None:
    first = SeedV1Operator(make_config(), token_store=TokenStore(cache))
    second = SeedV1Operator(make_config(), token_store=TokenStore(cache))

    begin(first)
    begin(second)
    second.release(callidentifier="A010B020")

    assert len(stub.requests) == 4  # the token, two begins, a release
    assert stub.connections == 1


def test_a_forked_worker_opens_its_own_connections(stub: Stub, operator: SeedV1Operator) -> None:
    """A worker forked from a process that already spoke to the operator must not write to the
    parent's sockets."""
    begin(operator)
    assert stub.connections == 1

    pid = os.fork()
    if pid == 0:  # the child: one begin, then out, whatever happens
        signal.alarm(10)  # never hang the test run
        exit_code = 1
        try:
            begin(operator)
            exit_code = 0
        finally:
            os._exit(exit_code)
    _, status = os.waitpid(pid, 0)
    begin(operator)  # the parent's connection is still its own and still good

    assert os.waitstatus_to_exitcode(status) == 0
    assert len(stub.received("/clicktodialbegin")) == 3
    assert stub.connections == 2


def test_cookies_the_operator_sets_are_not_sent_back(stub: Stub, operator: SeedV1Operator) -> None:
    stub.script(
        "/clicktodialbegin",
        body={"code": "0000000", "result": {"callidentifier": "X1"}},
        headers={"Set-Cookie": "route=node-7; Path=/"},
    )

    begin(operator)
    begin(operator)

    assert [request.headers.get("cookie") for request in stub.received("/clicktodialbegin")] == [
        None,
        None,
    ]


# Logging and configuration --------------------------------------------------------------------


def test_requests_are_logged_without_secrets(
    stub: Stub, operator: SeedV1Operator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="operator_api"):
        begin(operator)

    lines = [record.getMessage() for record in caplog.records if record.name == "operator_api"]
    assert any("POST /oauth/token -> 200 in" in line for line in lines)
    assert any("POST /clicktodial/v1/clicktodialbegin -> 200 in" in line for line in lines)
    assert "token-1" not in caplog.text
    assert stub.client_secret not in caplog.text


def test_the_config_hides_the_secret_in_its_repr(stub: Stub, make_config: MakeConfig) -> None:
    assert stub.client_secret not in repr(make_config())


@pytest.mark.parametrize(
    "overrides",
    [{"token_auth": "magic"}, {"number_format": "pretty"}, {"read_timeout": 0}],
)
def test_the_config_refuses_unknown_settings(
    make_config: MakeConfig, overrides: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        make_config(**overrides)


@pytest.mark.parametrize("filedata", ["YXVkaW8", "data:audio/wav;base64,YXVkaW8="])
def test_recording_download_tolerates_missing_padding_and_data_uris(
    stub: Stub, operator: SeedV1Operator, filedata: str
) -> None:
    stub.script("/recordingdownload/A010B020", body={"code": "0000000", "filedata": filedata})
    destination = io.BytesIO()

    written = operator.recording_download(
        callidentifier="A010B020", recording_id="r1", destination=destination
    )

    assert (written, destination.getvalue()) == (5, b"audio")


def test_invalidating_keeps_a_token_another_process_already_renewed(cache: LocMemCache) -> None:
    store = TokenStore(cache)
    store.get_or_fetch(key="k", fetch=lambda: ("fresh", 60))

    store.invalidate(key="k", token="stale")
    assert store.get(key="k") == "fresh"

    store.invalidate(key="k", token="fresh")
    assert store.get(key="k") is None


def test_a_waiting_process_fetches_anyway_when_the_lock_holder_never_finishes(
    cache: LocMemCache,
) -> None:
    cache.add("k:lock", "1", 30)  # a process that took the lock and died
    store = TokenStore(cache, lock_wait=0.1, poll_interval=0.02)

    assert store.get_or_fetch(key="k", fetch=lambda: ("mine", 60)) == "mine"
    assert store.get(key="k") == "mine"
