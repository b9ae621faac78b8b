"""The CAMARA Click to Dial 0.1 adapter against the sandbox operator's CAMARA API, over real HTTP:
what it sends (the numbers, the sink and its credential, an x-correlator), what each answer
becomes, and the events it reads."""

from __future__ import annotations

import io
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache.backends.locmem import LocMemCache

from operator_api import (
    AuthenticationFailure,
    CallIdError,
    CallState,
    InternalServiceError,
    InvalidInputValue,
    InvalidNotification,
    NotificationStatus,
    NumberFormatError,
    OperationError,
    OperatorConfig,
    OperatorOutcomeUnknown,
    TokenStore,
    TrafficControlFailure,
    UserStatusError,
)
from operator_api.camara import (
    EVENT_TYPE,
    CamaraOperator,
    SinkCredential,
    camara_error,
    parse_camara_event,
    sink_credential_issue,
    sink_credential_reference,
)
from sandbox import SandboxConfig, SandboxOperator
from sandbox.server import CAMARA_PREFIX

CALLER = "+8613912345673"
SINK = "http://127.0.0.1:9/events"  # never posted to: the tests read the sandbox's own record
CREDENTIAL = SinkCredential("sink-token-1", datetime(2030, 1, 1, tzinfo=UTC))


@pytest.fixture
def operator():
    with SandboxOperator(SandboxConfig(time_scale=0.01, begin_delay_slow=0.2)) as sandbox:
        yield sandbox


def adapter(
    sandbox: SandboxOperator, *, token_store: TokenStore | None = None, **config
) -> CamaraOperator:
    return CamaraOperator(
        OperatorConfig(
            base_url=sandbox.origin + CAMARA_PREFIX,
            token_url=sandbox.token_url,
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            **config,
        ),
        token_store=token_store or TokenStore(LocMemCache(f"camara-{uuid.uuid4()}", {})),
        sink_url=SINK,
        sink_credential=lambda reference: CREDENTIAL,
    )


def creates(sandbox: SandboxOperator) -> list:
    return [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/calls")]


def test_begin_creates_the_call_with_our_sink_and_credential(operator):
    call_id = adapter(operator).begin(
        sponsor="+861052680000", caller=CALLER, callee="+8613700000001", record=True
    )

    assert call_id in operator.calls
    (create,) = creates(operator)
    assert create.body == {
        "caller": {"number": CALLER},
        "callee": {"number": "+8613700000001"},
        "sink": SINK,
        "sinkCredential": {
            "credentialType": "ACCESSTOKEN",
            "accessToken": "sink-token-1",
            "accessTokenExpiresUtc": "2030-01-01T00:00:00Z",
            "accessTokenType": "bearer",
        },
        "recordingEnabled": True,
    }
    assert create.headers["Authorization"].startswith("Bearer ")
    uuid.UUID(create.headers["x-correlator"])  # a UUID per request


def test_recording_left_unsaid_is_not_sent(operator):
    adapter(operator).begin(sponsor="", caller=CALLER, callee="+8613700000002")
    (create,) = creates(operator)
    assert "recordingEnabled" not in create.body


def test_the_x_correlator_is_logged_with_the_request(operator, caplog):
    with caplog.at_level(logging.INFO, logger="operator_api"):
        adapter(operator).begin(sponsor="", caller=CALLER, callee="+8613700000003")
    (create,) = creates(operator)
    line = next(
        r.getMessage()
        for r in caplog.records
        if r.name == "operator_api" and "/calls" in r.getMessage()
    )
    assert f"POST {CAMARA_PREFIX}/calls -> 201" in line
    assert create.headers["x-correlator"] in line


def test_the_state_release_and_recording_of_a_call(operator):
    camara = adapter(operator)
    call_id = camara.begin(sponsor="", caller=CALLER, callee="+8613800000001", record=True)
    deadline = time.monotonic() + 10
    while operator.calls[call_id].state != "Connected":
        assert time.monotonic() < deadline, "the call did not connect"
        time.sleep(0.005)
    assert camara.call_state(callidentifier=call_id) is CallState.CONNECTED

    assert operator.wait_for_call_end(call_id, timeout=10)
    assert camara.call_state(callidentifier=call_id) is CallState.DISCONNECTED
    audio = io.BytesIO()
    written = camara.recording_download(callidentifier=call_id, recording_id="", destination=audio)
    assert written == len(audio.getvalue()) > 44
    assert audio.getvalue() == operator.recordings[operator.calls[call_id].recording_id]

    # Ended: releasing it again is refused as an operation on a finished call.
    with pytest.raises(OperationError):
        camara.release(callidentifier=call_id)


def test_release_ends_a_call_in_progress(operator):
    camara = adapter(operator)
    call_id = camara.begin(sponsor="", caller=CALLER, callee="+8613800000006")  # a long call
    camara.release(callidentifier=call_id)
    assert operator.calls[call_id].reason == "HangUp"
    (delete,) = [r for r in operator.requests if r.method == "DELETE"]
    assert delete.path == f"{CAMARA_PREFIX}/calls/{call_id}"


def test_an_unknown_call_is_a_call_id_error(operator):
    camara = adapter(operator)
    with pytest.raises(CallIdError):
        camara.call_state(callidentifier="no-such-call")
    with pytest.raises(CallIdError):
        camara.release(callidentifier="no-such-call")


@pytest.mark.parametrize(
    ("callee", "error"),
    [
        ("8613800000001", NumberFormatError),  # not E.164: 422 INVALID_PHONE_NUMBER
        (CALLER, InvalidInputValue),  # 422 SAME_CALLER_CALLEE
        ("+8613800000008", UserStatusError),  # 422 CALLEE_NOT_AVAILABLE
        ("+8613800000009", InternalServiceError),  # 500 INTERNAL
        ("+8613800000010", InternalServiceError),  # 503 UNAVAILABLE: failed, never retried
        ("+8613800000012", TrafficControlFailure),  # 429 TOO_MANY_REQUESTS
    ],
)
def test_refusals_become_the_same_errors_as_v1s(operator, callee, error):
    with pytest.raises(error) as raised:
        adapter(operator).begin(sponsor="", caller=CALLER, callee=callee)
    assert raised.value.http_status in (422, 500, 503, 429)
    assert raised.value.code  # CAMARA's code kept, for the call's record
    assert not operator.calls


def test_a_revoked_token_is_fetched_again_once(operator):
    camara = adapter(operator)
    camara.begin(sponsor="", caller=CALLER, callee="+8613700000004")
    operator.revoke_tokens()
    camara.begin(sponsor="", caller=CALLER, callee="+8613700000005")
    assert len([r for r in operator.requests if r.path == "/oauth2/token"]) == 2


def test_wrong_client_credentials_are_an_authentication_failure(operator):
    camara = CamaraOperator(
        OperatorConfig(
            base_url=operator.origin + CAMARA_PREFIX,
            token_url=operator.token_url,
            client_id="sandbox-client",
            client_secret="wrong",
        ),
        token_store=TokenStore(LocMemCache("camara-wrong", {})),
        sink_url="",
        sink_credential=lambda reference: CREDENTIAL,
    )
    with pytest.raises(AuthenticationFailure):
        camara.begin(sponsor="", caller=CALLER, callee="+8613700000006")


def test_a_begin_whose_answer_is_lost_has_an_unknown_outcome(operator):
    # The token first, in good time: only the begin's answer is to be waited for too briefly.
    tokens = TokenStore(LocMemCache(f"camara-{uuid.uuid4()}", {}))
    adapter(operator, token_store=tokens).access_token_check(timeout=5)
    camara = adapter(operator, token_store=tokens, read_timeout=0.05)
    with pytest.raises(OperatorOutcomeUnknown):
        camara.begin(sponsor="", caller=CALLER, callee="+8613800000011")  # answer held back
    assert len(operator.calls) == 1  # the call was placed all the same


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "INVALID_ARGUMENT", InvalidInputValue),
        (401, "UNAUTHENTICATED", AuthenticationFailure),
        (403, "PERMISSION_DENIED", AuthenticationFailure),
        (404, "NOT_FOUND", CallIdError),
        (409, "CALL_ALREADY_ACTIVE", OperationError),
        (422, "CALLER_NOT_AVAILABLE", UserStatusError),
        (422, "RECORDING_NOT_SUPPORTED", InvalidInputValue),
        (429, "SOMETHING_NEW", TrafficControlFailure),
        (504, "TIMEOUT", OperatorOutcomeUnknown),
    ],
)
def test_camara_error_codes(status, code, error):
    raised = camara_error(http_status=status, code=code, message="words")
    assert type(raised) is error
    assert (raised.code, raised.description, raised.http_status) == (code, "words", status)


def test_an_unknown_code_keeps_the_operators_words():
    raised = camara_error(http_status=418, code="TEAPOT", message="short and stout")
    assert raised.permanent and "short and stout" in raised.message


# Events


def event(**data) -> dict:
    return {
        "id": "83a0d986-0866-4f38-b8c0-fc65bfcda452",
        "source": "https://api.example.com/click-to-dial",
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "type": EVENT_TYPE,
        "time": "2026-11-27T10:00:00Z",
        "data": {
            "callId": "call-1",
            "caller": CALLER,
            "callee": "+8613800000001",
            "status": {"state": "callingCaller"},
            "timestamp": "2026-11-27T10:00:00Z",
            **data,
        },
    }


def test_an_event_reads_as_v1s_notification():
    read = parse_camara_event(
        event(
            status={"state": "disconnected", "reason": "calleeBusy"},
            callDuration="0",
            recordingResult="noRecord",
        )
    )
    assert (read.event_id, read.callidentifier) == (
        "83a0d986-0866-4f38-b8c0-fc65bfcda452",
        "call-1",
    )
    n = read.notification
    assert (n.status, n.reason, n.call_duration) == ("Disconnected", "CalleeBusy", 0)
    assert n.recording_result == "NoRecord" and n.recording_id is None
    assert n.timestamp == datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_a_recorded_call_names_its_recording_by_the_call():
    read = parse_camara_event(
        event(
            status={"state": "disconnected", "reason": "hangUp"},
            callDuration="1600",
            recordingResult="success",
        )
    )
    assert read.notification.call_duration == 1600
    assert read.notification.recording_id == "call-1"


@pytest.mark.parametrize(
    ("state", "status"),
    [("initiating", NotificationStatus.INITIATING), ("failed", NotificationStatus.FAILED)],
)
def test_camaras_own_states(state, status):
    assert parse_camara_event(event(status={"state": state})).notification.status is status


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "org.example.other"}, "type"),
        ({"specversion": "0.3"}, "specversion"),
        ({"id": ""}, "id"),
        ({"data": "text"}, "data"),
    ],
)
def test_not_a_status_changed_event(change, field):
    with pytest.raises(InvalidNotification) as raised:
        parse_camara_event({**event(), **change})
    assert raised.value.field == field


def test_a_disconnected_event_without_its_reason_means_other():
    # As v1's: the call still ends and is billed; what ended it is not known.
    read = parse_camara_event(event(status={"state": "disconnected"}, callDuration="3"))
    assert (read.notification.status, read.notification.reason) == ("Disconnected", "Other")
    assert read.notification.call_duration == 3


@pytest.mark.parametrize("status", ["Initiating", "Failed"])
def test_v1_notifications_do_not_take_camaras_states(status):
    from operator_api import parse_status_notification

    body = {"caller": CALLER, "callee": "+8613800000001", "status": status}
    with pytest.raises(InvalidNotification) as raised:
        parse_status_notification({**body, "timeStamp": "2026-11-27T10:00:00.000Z"})
    assert raised.value.field == "status"


# The sink credential


def test_a_sink_credential_names_its_call_and_runs_out(settings, monkeypatch):
    issued = sink_credential_issue("42", lifetime=60)
    assert sink_credential_reference(issued.access_token, lifetime=60) == "42"
    assert timedelta(seconds=59) < issued.expires_at - datetime.now(UTC) <= timedelta(seconds=60)
    assert sink_credential_reference(issued.access_token + "x", lifetime=60) is None
    assert sink_credential_reference("42.made-up", lifetime=60) is None
    # Issued two minutes ago, it ran out after one.
    now = time.time()
    with monkeypatch.context() as earlier:
        earlier.setattr(time, "time", lambda: now - 120)
        old = sink_credential_issue("42", lifetime=60)
    assert sink_credential_reference(old.access_token, lifetime=60) is None
    assert sink_credential_reference(old.access_token, lifetime=180) == "42"
    # Signed with the portal's secret: another key does not make it.
    settings.SECRET_KEY = "another-key-" * 5
    assert sink_credential_reference(issued.access_token, lifetime=60) is None


def test_the_credential_is_issued_for_the_call_begun(operator):
    camara = adapter(operator)
    asked: list[str] = []
    camara._sink_credential = lambda reference: asked.append(reference) or CREDENTIAL
    camara.begin(sponsor="", caller=CALLER, callee="+8613700000007", reference="12")
    assert asked == ["12"]
