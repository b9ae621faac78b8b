"""The REST API's errors, documented: every 4xx is a JSON object, either `{"detail": "..."}` or
`{"field": ["message", ...]}` (DRF's own shape), and the schema says so for every operation.

drf-spectacular documents only the successful answers; `document_errors` (a postprocessing hook,
see SPECTACULAR_SETTINGS) adds the errors each operation can give, all with the `Error` schema.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

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
