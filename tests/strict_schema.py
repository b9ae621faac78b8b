"""Answers checked against the API's schema as OpenAPI 3.0.3 itself reads it, with
openapi-schema-validator's OAS30Validator: `nullable` counts only beside a `type`, a documented
type is the type sent. Schemathesis's own check converts the schema to JSON Schema more
leniently (a null under `allOf` passes it), so the fuzz run and the generated client's flow use
this one too."""

import re
from typing import Any

from openapi_schema_validator import OAS30Validator


def operation_for(schema: dict, method: str, path: str) -> dict | None:
    """The schema's operation for a request's method and path (`/api/v1/calls/7/` is the
    operation of `/api/v1/calls/{id}/`), or None when the schema has no such operation."""
    for template, operations in schema["paths"].items():
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return operations.get(method.lower())
    return None


def response_errors(
    schema: dict, operation: dict, status: int, content_type: str, body: Any
) -> list[str]:
    """What is wrong with an answer (`body`: its JSON, when it is JSON) against `operation`."""
    responses = operation["responses"]
    documented = responses.get(str(status)) or responses.get("default")
    if documented is None:
        return [f"{status} is not documented: {sorted(responses)}"]
    media_types = documented.get("content", {})
    if not media_types:
        return []
    media_type = content_type.split(";")[0].strip()
    if media_type not in media_types:
        return [f"{status} as {media_type!r}, documented as {sorted(media_types)}"]
    body_schema = media_types[media_type].get("schema")
    if body_schema is None or not media_type.endswith("json"):
        return []
    validator = OAS30Validator({**body_schema, "components": schema.get("components", {})})
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(the body)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]
