"""drf-spectacular postprocessing hooks that keep the schema strict OpenAPI 3.0.3, so that a strict
validator (openapi-schema-validator's OAS30Validator) and a generated client read it as the API
answers."""

from typing import Any

# JSON's null alone, as OpenAPI 3.0.3 can say it: `nullable` applies only beside a `type`.
NULL_ONLY = {"type": "object", "nullable": True, "enum": [None]}


def nullable_references(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """A nullable field of a component's type is written by drf-spectacular as `allOf: [$ref]`
    with `nullable: true`, which 3.0.3 ignores where there is no `type`, so a strict validator
    refuses the null the API sends (a call's `recording` before there is one). Rewritten as
    `oneOf: [$ref, null]`."""
    _rewrite(result.get("components", {}))
    _rewrite(result.get("paths", {}))
    return result


def _rewrite(node: object) -> None:
    if isinstance(node, dict):
        all_of = node.get("allOf")
        if node.get("nullable") and "type" not in node and isinstance(all_of, list):
            del node["allOf"], node["nullable"]
            schema = all_of[0] if len(all_of) == 1 else {"allOf": all_of}
            node["oneOf"] = [schema, dict(NULL_ONLY)]
        for value in node.values():
            _rewrite(value)
    elif isinstance(node, list):
        for value in node:
            _rewrite(value)
