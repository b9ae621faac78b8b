"""The CAMARA Click to Dial API (version 0.1.0-rc.1) as an operator adapter.

The successor of the seed's v1 API, from the CAMARA project (camaraproject/ClickToDial,
``code/API_definitions/click-to-dial.yaml``). The same four operations, as resources:

- begin: ``POST /calls`` with ``{"caller": {"number"}, "callee": {"number"}}`` in E.164, the
  ``sink`` our notifications are to go to and the ``sinkCredential`` (a bearer token the portal
  issued) the operator must present there, and ``recordingEnabled``; answered 201 with the
  ``Call`` resource, whose ``callId`` is the call's identifier here.
- release: ``DELETE /calls/{callId}``, answered 204.
- recording: ``GET /calls/{callId}/recording``, a JSON object whose ``content`` is the audio in
  base64 (streamed to the file as it arrives, as v1's ``filedata``).
- state: ``GET /calls/{callId}``, which v1 has no equivalent of: the portal asks it about calls
  it heard nothing from (``calls.services.outcomes.calls_expire_silent``).

Errors come as ``{"status", "code", "message"}`` with CAMARA's codes, mapped below to the same
exceptions as v1's (:mod:`operator_api.errors`), so the rest of the portal handles both alike.
Every request carries an ``x-correlator`` (a UUID) that the operator echoes; both are logged.
The seed's sponsor (the business number shown to both parties) has no field here: a CAMARA
operator sets it up for the API consumer when onboarding.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, BinaryIO

import requests
from django.utils.translation import gettext_noop

from operator_api.base import CallState, OperatorConfig, ReleaseOperation
from operator_api.camara.credential import SinkCredential
from operator_api.camara.errors import camara_error
from operator_api.errors import OperatorError, OperatorOutcomeUnknown
from operator_api.oauth import ContactLog, OAuthOperator, TokenStore
from operator_api.session import OperatorAnswer
from operator_api.streaming import Base64Writer

CAMARA_VERSION = "0.1.0-rc.1"

# A call resource's ``status``: v1's four states, and the two before and instead of them.
_STATES = {
    "initiating": CallState.INITIATING,
    "callingCaller": CallState.CALLING_CALLER,
    "callingCallee": CallState.CALLING_CALLEE,
    "connected": CallState.CONNECTED,
    "disconnected": CallState.DISCONNECTED,
    "failed": CallState.FAILED,
}


class CamaraOperator(OAuthOperator):
    """CAMARA Click to Dial over HTTPS, with the same OAuth2 client-credentials token as v1."""

    # The recording resource's audio, in base64.
    RECORDING_PATHS = (("content",),)

    def __init__(
        self,
        config: OperatorConfig,
        *,
        token_store: TokenStore,
        sink_url: str,
        sink_credential: Callable[[str], SinkCredential],
        contacts: ContactLog | None = None,
    ) -> None:
        super().__init__(config, token_store=token_store, contacts=contacts)
        self._sink_url = sink_url
        self._sink_credential = sink_credential

    # The interface ---------------------------------------------------------------------------

    @property
    def asks_for_recording(self) -> bool:
        return True  # recordingEnabled

    def begin(
        self,
        *,
        sponsor: str,
        caller: str,
        callee: str,
        record: bool | None = None,
        reference: str = "",
    ) -> str:
        body: dict[str, Any] = {"caller": {"number": caller}, "callee": {"number": callee}}
        if self._sink_url:
            body["sink"] = self._sink_url
            body["sinkCredential"] = self._sink_credential(reference).as_body()
        if record is not None:
            body["recordingEnabled"] = record
        resource = self._send("POST", "/calls", body=body, acts=True)
        call_id = resource.get("callId")
        if not isinstance(call_id, str) or not call_id.strip():
            # The operator said yes, so a call may be ringing, but we cannot tell which one.
            raise OperatorOutcomeUnknown(
                message=gettext_noop(
                    "The operator accepted the call but did not say which call it is. "
                    "The phones may ring."
                ),
                description="no callId in the createCall answer",
                http_status=201,
            )
        return call_id.strip()

    def release(
        self, *, callidentifier: str, operation: ReleaseOperation = ReleaseOperation.END_CALL
    ) -> None:
        if ReleaseOperation(operation) != ReleaseOperation.END_CALL:
            raise ValueError("CAMARA can only end a call (DELETE /calls/{callId}).")
        self._send("DELETE", f"/calls/{self._path_segment(callidentifier)}", acts=True)

    def recording_download(
        self, *, callidentifier: str, recording_id: str, destination: BinaryIO
    ) -> int:
        # CAMARA has one recording a call, named by the call: recording_id is not sent.
        writer = Base64Writer(destination)
        self._send(
            "GET",
            f"/calls/{self._path_segment(callidentifier)}/recording",
            acts=False,
            read_timeout=self._config.download_timeout,
            stream_to=writer,
        )
        self._recording_received(writer, answer="recording answer")
        return writer.written

    def call_state(self, *, callidentifier: str) -> CallState:
        """The call's state as the operator has it now (``GET /calls/{callId}``)."""
        resource = self._send("GET", f"/calls/{self._path_segment(callidentifier)}", acts=False)
        try:
            return _STATES[resource.get("status")]
        except (KeyError, TypeError):
            raise OperatorError(
                message=gettext_noop("The operator's answer could not be read. Try again later."),
                description=f"unknown call status {resource.get('status')!r}",
                http_status=200,
                permanent=False,
            ) from None

    # Requests --------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        acts: bool,
        body: dict[str, Any] | None = None,
        read_timeout: float | None = None,
        stream_to: Base64Writer | None = None,
    ) -> dict[str, Any]:
        """Send one request and return the answer's JSON object ({} for a 204).

        A 401 fetches a new token and sends the request once more; a second one raises
        AuthenticationFailure. Anything else that is not 2xx raises the mapped error.
        """
        answer = self._with_token(
            method=method,
            url=self._config.base_url.rstrip("/") + path,
            body=body,
            acts=acts,
            read_timeout=read_timeout,
            stream_to=stream_to,
            headers={"x-correlator": str(uuid.uuid4())},
        )
        if 200 <= answer.status < 300:
            if answer.envelope is not None:
                return answer.envelope
            if answer.status == 204 or method == "DELETE":
                return {}
            raise self._unreadable(answer.status, acts=acts)
        raise self._error(answer.status, answer.envelope)

    @staticmethod
    def _error(status: int, envelope: dict[str, Any] | None) -> OperatorError:
        envelope = envelope or {}
        code, message = envelope.get("code"), envelope.get("message")
        return camara_error(
            http_status=status,
            code=str(code) if code not in (None, "") else None,
            message=str(message) if message not in (None, "") else None,
        )

    @staticmethod
    def _token_refused(answer: OperatorAnswer) -> bool:
        return answer.status == 401  # CAMARA's UNAUTHENTICATED (a code v1 used means nothing)

    @staticmethod
    def _log_note(response: requests.Response) -> str:
        sent = response.request.headers.get("x-correlator")
        echoed = response.headers.get("x-correlator")
        if echoed and echoed != sent:
            return f" (x-correlator {sent}, answered {echoed})"
        return f" (x-correlator {sent})" if sent else ""
