"""The REST API's errors: every 4xx is a JSON object, either `{"detail": "..."}` or
`{"field": ["message", ...]}` (DRF's own shape), and the schema says so for every operation.

`api_exception_handler` (REST_FRAMEWORK's EXCEPTION_HANDLER) is the one place an exception becomes
an HTTP answer: views let the services' refusals propagate, and each refusal says its status.

drf-spectacular documents only the successful answers; `document_errors` (a postprocessing hook,
see SPECTACULAR_SETTINGS) adds the errors each operation can give, all with the `Error` schema.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

ERROR_COMPONENT = "Error"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}

_MESSAGES = {"type": "array", "items": {"type": "string"}}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": _(
            'An error: `{"detail": "message"}`, or, for invalid input, the messages per field '
            '(`{"field": ["message", ...]}`; `non_field_errors` for the input as a whole). A '
            "field of a list or of a nested object has its messages by position or sub-field."
        ),
        "properties": {"detail": {"oneOf": [{"type": "string"}, _MESSAGES]}},
        "additionalProperties": {"oneOf": [_MESSAGES, {"type": "object"}]},
    }


def _descriptions() -> dict[str, str]:
    return {
        "400": _("Invalid input: the messages per field."),
        "401": _("No valid credentials were given."),
        "403": _("You may not do this."),
        "404": _("Not found, or not yours to see."),
        "409": _("Not possible in the resource's present state."),
        "410": _("Gone."),
        "415": _("The body's content type is not one the operation accepts."),
        "416": _("The range is not satisfiable."),
        "429": _("Too many requests: try again later."),
    }


def _errors_of(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    """The error codes any operation of this shape can answer."""
    parameters = operation.get("parameters", [])
    codes = set()
    if operation.get("security") != [{}]:
        codes |= {"401", "403"}
    if any(parameter.get("in") == "path" for parameter in parameters):
        codes.add("404")
    if any(parameter.get("in") == "query" for parameter in parameters):
        codes.add("400")
        if any(parameter.get("name") == "page" for parameter in parameters):
            codes.add("404")  # a page past the last one
    if "requestBody" in operation or method in ("post", "put", "patch"):
        codes |= {"400", "415"}
    return codes


def document_errors(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document every REST API operation's errors."""
    descriptions = _descriptions()
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _error_schema()
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue  # e.g. the operator's callback, which answers in the operator's format
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in _errors_of(path, method, operation):
                responses.setdefault(code, {"description": descriptions[code]})
            for code, response in responses.items():
                if code[0] in "45" and not response.get("content"):
                    response["content"] = {"application/json": {"schema": _ERROR_REF}}
                    response.setdefault("description", descriptions.get(code, ""))
            operation["responses"] = dict(sorted(responses.items()))
    return result


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer an exception raised in an API view, or return None to let it become a 500.

    DRF's exceptions, and Django's Http404 and PermissionDenied, are answered as DRF answers them.
    A domain exception is answered when it carries an integer `http_status` (a class attribute;
    the domain needs nothing from DRF for it):

    - its `message` (else `str(exc)`) is the message, as `{"detail": message}`;
    - with status 400 and a `field`, the message is that field's: `{field: [message]}`;
    - with status 429, `retry_after` (seconds, optional) is sent as `Retry-After`, and the
      message says when to try again, as DRF's `Throttled` does.

    Anything else is not the API's to answer: it propagates (a 500, logged).
    """
    return exception_handler(_as_api_exception(exc), context)


def _as_api_exception(exc: Exception) -> Exception:
    status = getattr(exc, "http_status", None)
    if isinstance(exc, exceptions.APIException) or not isinstance(status, int):
        return exc
    message = getattr(exc, "message", None) or str(exc)
    if status == 429:
        return exceptions.Throttled(wait=getattr(exc, "retry_after", None), detail=message)
    field = getattr(exc, "field", None)
    if status == 400 and field:
        return exceptions.ValidationError({field: [message]})
    answer = exceptions.APIException(detail=message)
    answer.status_code = status
    return answer
