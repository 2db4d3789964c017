"""Every operation the OpenAPI document lists, on the demo data, as every kind of caller, fed
malformed input: ids that name nothing or are not ids, bodies of the wrong shape, fields of the
wrong type, broken JSON, odd query values. Each answer is a 2xx or a 4xx, and every refusal is
the JSON error envelope with a message: never a 500, never an HTML page. Whatever was accepted,
the read models then record.

The operations come from the document itself, so an endpoint added later is covered without
touching this test."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from marketplace.demo import load_demo

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NOT_AN_ID = "not-an-id"
WRONG_VALUES = (None, "x" * 5000, -1, 10**30, True, [{}], {}, "NaN", "\ud800")
ODD_QUERY_VALUES = ("", "x", "-1", "99999999999999999999", "2026-13-45", "\x00")
WRITES = ("post", "patch", "put", "delete")
ROLES = ("admin", "provider", "buyer")


@pytest.fixture
def callers(services: Any) -> dict[str, dict[str, str]]:
    report = load_demo(services.app)
    assert report is not None
    services.runner.catch_up()
    tokens = (report.admin_token, report.provider_token, report.buyer_token)
    signed_in = {role: {"Authorization": f"Bearer {token}"} for role, token in zip(ROLES, tokens)}
    return {"anonymous": {}, **signed_in}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation; those on credentials last: a body that happens to be valid (a reason) may
    revoke a caller's token, and every other operation should meet the callers signed in."""
    paths = sorted(document["paths"].items(), key=lambda item: "/credentials" in item[0])
    for path, operations in paths:
        for method, operation in operations.items():
            if method in ("get", *WRITES):
                yield path, method, operation


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _bodies(document: dict[str, Any], operation: dict[str, Any], each_field: bool) -> list[Any]:
    """Bodies of the wrong shape; with ``each_field``, each field of the schema given each wrong
    value too (a schema refuses those before the caller matters: one caller is enough)."""
    bodies: list[Any] = [{}, [], "x", 5, None, {"not_a_field": 1}]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is not None:
        fields = _schema(document, content["schema"]).get("properties", {})
        bodies += [{name: value for name in fields} for value in ("x", 1, [], {})]
        if each_field:
            bodies += [{name: value} for name in fields for value in WRONG_VALUES]
    return bodies


def _ids_in_lists(client: Any, document: dict[str, Any], callers: dict[str, Any]) -> list[str]:
    """Ids of real records (of every kind) the list endpoints show."""
    found: set[str] = set()
    for path, method, _ in _operations(document):
        if method == "get" and "{" not in path:
            for headers in callers.values():
                shown = client.get(path, headers=headers).get_data().decode("utf-8", "replace")
                found.update(UUID.findall(shown))
    return sorted(found)


def _is_sound(response: Any) -> bool:
    """A 2xx, or a 4xx that is the JSON error envelope with a message."""
    if response.status_code >= 500:
        return False
    if response.status_code < 400:
        return True
    return response.mimetype == "application/json" and bool(response.get_json().get("message"))


def test_no_operation_answers_malformed_input_with_a_server_error_or_a_non_json_refusal(
    client: Any, services: Any, callers: dict[str, dict[str, str]]
) -> None:
    document = client.get("/api/openapi.json").get_json()
    real_ids = _ids_in_lists(client, document, callers)
    assert len(real_ids) > 20  # the demo's records: the ids below reach real resources' states
    failures: list[str] = []
    asked = 0

    def ask(method: str, path: str, headers: dict[str, str], **kwargs: Any) -> None:
        nonlocal asked
        asked += 1
        headers = {**headers, **kwargs.pop("extra", {})}
        response = getattr(client, method)(path, headers=headers, **kwargs)
        if not _is_sound(response):
            answer = f"{response.status_code} {response.get_data()[:200]!r}"
            failures.append(f"{method.upper()} {path} {kwargs}: {answer}")

    for number, (template, method, operation) in enumerate(_operations(document)):
        names = re.findall(r"{(\w+)}", template)
        paths = []
        for value in (UNKNOWN_ID, NOT_AN_ID, real_ids[number % len(real_ids)]):
            path = template
            for name in names:
                path = path.replace(f"{{{name}}}", value)
            paths.append(path)
        queries = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        for path in dict.fromkeys(paths):
            for turn, headers in enumerate(callers.values()):
                if method == "get":
                    ask("get", path, headers)
                    for name in queries:
                        for value in ODD_QUERY_VALUES:
                            ask("get", path, headers, query_string={name: value})
                    continue
                for body in _bodies(document, operation, each_field=turn == 0):
                    ask(method, path, headers, json=body)
                broken = {"Content-Type": "application/json"}
                ask(method, path, headers, data="{not json", extra=broken)
                odd_headers = {"If-Match": '"x"', "Idempotency-Key": "k" * 500}
                ask(method, path, headers, json={}, extra=odd_headers)
    assert asked > 1000
    assert not failures, "\n".join(failures)
    # What was accepted, every read model can record: catching up raises on an event it cannot.
    services.runner.catch_up()
    assert min(services.runner.positions().values()) == services.runner.head()
