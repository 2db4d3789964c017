"""Checking real responses against the service's own OpenAPI document with ``jsonschema``.

OpenAPI 3.0 schemas are JSON Schema but for ``nullable``: here each nullable schema becomes a
union with ``null``, and references resolve within the document itself."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator


def json_schema(node: Any) -> Any:
    """``node`` with every OpenAPI ``nullable: true`` made a JSON Schema union with null."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft7Validator:
    """A validator of ``schema`` (a part of ``document``) whose references resolve in it."""
    root = {**json_schema(schema), "components": json_schema(document["components"])}
    return Draft7Validator(root)


def response_schema(document: dict[str, Any], path: str, method: str, status: str) -> Any:
    """The JSON schema the document declares for that response."""
    response = document["paths"][path][method]["responses"][status]
    while "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response["content"]["application/json"]["schema"]


def errors_against(document: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    """What in ``body`` does not match ``schema``, one line each; empty when it matches."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(document, schema).iter_errors(body)
    ]
