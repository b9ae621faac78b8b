"""The seed's Click to Dial API v1 as an operator adapter: begin, release and recording download
over HTTPS with an OAuth2 client-credentials token. Every answer that is not a success becomes
an :mod:`operator_api.errors` exception, read with the seed's code table (:mod:`.errors`).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from django.utils.translation import gettext_noop

from operator_api.base import CallState, ReleaseOperation
from operator_api.errors import AuthenticationFailure, OperatorOutcomeUnknown
from operator_api.numbers import format_for_operator
from operator_api.oauth import OAuthOperator
from operator_api.session import envelope_code
from operator_api.streaming import STREAMED_PATHS, Base64Writer
from operator_api.v1.errors import SUCCESS_CODE, error_from_response


class SeedV1Operator(OAuthOperator):
    """The seed's Click to Dial API v1, over HTTPS with an OAuth2 client-credentials token."""

    # Where a v1 answer holds the recording: ``filedata`` (the seed's markdown), inside
    # ``result``, or ``result`` itself (its OpenAPI file).
    RECORDING_PATHS = STREAMED_PATHS

    @property
    def asks_for_recording(self) -> bool:
        # The seed's begin has no such field; an operator's own one is configured.
        return bool(self._config.record_field)

    def call_state(self, *, callidentifier: str) -> CallState | None:
        return None  # the seed has no request that tells

    # The interface ---------------------------------------------------------------------------

    def begin(
        self,
        *,
        sponsor: str,
        caller: str,
        callee: str,
        record: bool | None = None,
        reference: str = "",
    ) -> str:
        body: dict[str, Any] = {
            # The operator registered the business number as this very string (the seed's
            # example: 01052680000): it goes out as configured, never reformatted.
            "sponsor": sponsor,
            "caller": self._number(caller),
            "callee": self._number(callee),
        }
        if record is not None and self._config.record_field:
            body[self._config.record_field] = 1 if record else 0
        envelope = self._call(path="/clicktodialbegin", body=body, acts=True)
        callidentifier = self._callidentifier(envelope)
        if callidentifier is None:
            # The operator said yes, so a call may be ringing, but we cannot tell which one.
            raise OperatorOutcomeUnknown(
                message=gettext_noop(
                    "The operator accepted the call but did not say which call it is. "
                    "The phones may ring."
                ),
                code=envelope_code(envelope),
                description="no callidentifier in the begin answer",
                http_status=200,
            )
        return callidentifier

    def release(
        self, *, callidentifier: str, operation: ReleaseOperation = ReleaseOperation.END_CALL
    ) -> None:
        self._call(
            path=f"/clicktodialrelease/{self._path_segment(callidentifier)}",
            body={"operation": ReleaseOperation(operation).value},
            acts=True,
        )

    def recording_download(
        self, *, callidentifier: str, recording_id: str, destination: BinaryIO
    ) -> int:
        if not recording_id:
            raise ValueError("recording_id must not be empty.")
        writer = Base64Writer(destination)
        envelope = self._call(
            path=f"/recordingdownload/{self._path_segment(callidentifier)}",
            body={"recordingId": recording_id},
            acts=False,
            read_timeout=self._config.download_timeout,
            stream_to=writer,
        )
        self._recording_received(writer, answer="download answer", code=envelope_code(envelope))
        return writer.written

    # Requests --------------------------------------------------------------------------------

    def _number(self, e164: str) -> str:
        return format_for_operator(e164, number_format=self._config.number_format)

    @staticmethod
    def _callidentifier(envelope: dict[str, Any]) -> str | None:
        # The seed nests it in "result"; later versions spell it callIdentifier.
        for container in (envelope.get("result"), envelope):
            if not isinstance(container, dict):
                continue
            for key, value in container.items():
                if key.lower() == "callidentifier" and value not in (None, "", True, False):
                    return str(value).strip() or None
        return None

    def _call(
        self,
        *,
        path: str,
        body: dict[str, Any],
        acts: bool,
        read_timeout: float | None = None,
        stream_to: Base64Writer | None = None,
    ) -> dict[str, Any]:
        """POST ``body`` to ``path`` with the access token and return the success envelope.

        ``acts``: whether the request changes something at the operator (begin, release), which
        decides what a lost answer means. On 401 or code 0001004 the token is fetched again
        and the request sent once more; a second refusal raises AuthenticationFailure.
        ``stream_to``: where the recording's base64 string (``filedata``, ``result.filedata`` or
        ``result`` itself) is decoded to as it arrives.
        """
        answer = self._with_token(
            method="POST",
            url=self._config.base_url.rstrip("/") + path,
            body=body,
            acts=acts,
            read_timeout=read_timeout,
            stream_to=stream_to,
        )
        if self._token_refused(answer):
            raise AuthenticationFailure(
                code=answer.code, description=answer.description, http_status=answer.status
            )

        if answer.envelope is None:
            raise self._unreadable(answer.status, acts=acts)
        # A missing code on a 200 is read as success: refusing it could lose a placed call.
        if 200 <= answer.status < 300 and answer.code in (SUCCESS_CODE, None):
            return answer.envelope
        raise error_from_response(
            http_status=answer.status,
            code=answer.code,
            description=answer.description,
            rate_limited="Retry-After" in answer.headers,
        )
