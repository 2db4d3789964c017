"""The OpenAPI document says what the service does: the errors each operation can give, the
headers it reads and sends, how it authenticates, and the shapes of its answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from openapi_spec_validator import validate

from marketplace import create_app
from marketplace.demo import load_demo
from tests.openapi import errors_against, response_schema

API = "/api/v1"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The document, from an app that never touches its database (it is not needed for this)."""
    path: Path = tmp_path_factory.mktemp("document") / "unused.sqlite3"
    app = create_app({"TESTING": True, "MARKETPLACE": {"database_url": f"sqlite:///{path}"}})
    yield app.test_client().get("/api/openapi.json").get_json()
    app.extensions["marketplace"].close()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def statuses(document: dict[str, Any], path: str, method: str) -> set[int]:
    responses = document["paths"][path][method]["responses"]
    return {int(status) for status in responses if status.isdigit() and int(status) >= 400}


@pytest.mark.parametrize(
    ("method", "path", "listed", "not_listed"),
    [
        ("post", "/offerings", {400, 401, 403, 409, 413, 422}, {404, 412, 503}),
        ("get", "/offerings/{offering_id}", {401, 404, 422}, {403, 409, 412, 413}),
        ("patch", "/offerings/{offering_id}", {401, 403, 404, 409, 412, 413, 422}, {503}),
        ("get", "/catalog", {422, 503}, {401, 403, 404, 409, 412, 413}),
        ("get", "/accounts/me", {401}, {403, 404}),
        ("get", "/proposals", {401, 403, 422, 503}, {404, 409}),
        ("post", "/solicitations/{solicitation_id}/publish", {401, 403, 404, 409, 412}, {413}),
        ("get", "/ocds/records/{ocid}", {404, 503}, {401, 403}),
        ("post", "/contracts/{contract_id}/sign", {401, 403, 404, 409, 412, 422}, {503}),
        ("patch", "/proposals/{proposal_id}", {401, 403, 404, 409, 412, 413, 422}, {503}),
    ],
)
def test_an_operation_lists_the_error_statuses_it_can_give_and_not_others(
    document: dict[str, Any], method: str, path: str, listed: set[int], not_listed: set[int]
) -> None:
    documented = statuses(document, API + path, method)

    assert listed <= documented
    assert not (not_listed & documented)


def test_every_write_lists_401_403_and_409_and_every_id_in_a_path_404(
    document: dict[str, Any]
) -> None:
    for path, method, _ in operations(document):
        documented = statuses(document, path, method)
        if method != "get":
            assert {401, 403, 409} <= documented, (method, path)
        if "{" in path:
            assert 404 in documented, (method, path)


def test_every_error_response_is_the_error_envelope(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    response = document["components"]["responses"][name]
                schema = response["content"]["application/json"]
                assert schema["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)


@pytest.fixture
def demo(services: Any, client: Any) -> dict[str, dict[str, str]]:
    """The demo data, read models caught up; the headers of its provider and its buyer."""
    report = load_demo(services.app)
    assert report is not None
    services.runner.catch_up()
    return {
        "provider": {"Authorization": f"Bearer {report.provider_token}"},
        "buyer": {"Authorization": f"Bearer {report.buyer_token}"},
    }


def test_the_register_the_proposals_and_the_ocds_packages_answer_as_documented(
    client: Any, demo: dict[str, dict[str, str]]
) -> None:
    document = client.get("/api/openapi.json").get_json()
    first_ocid = client.get(f"{API}/ocds/records").get_json()["records"][0]["ocid"]
    reads = [
        ("/contracts", f"{API}/contracts?per_page=100", {}),
        ("/proposals", f"{API}/proposals?per_page=100", demo["provider"]),
        ("/ocds/releases", f"{API}/ocds/releases", {}),
        ("/ocds/records", f"{API}/ocds/records", {}),
        ("/ocds/records/{ocid}", f"{API}/ocds/records/{first_ocid}", {}),
    ]

    for documented, url, headers in reads:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.get_json())
        body = response.get_json()
        listed = body.get("items", body.get("releases", body.get("records")))
        assert listed, url  # something to check against the schema
        schema = response_schema(document, API + documented, "get", "200")
        assert errors_against(document, schema, body) == [], url
        assert errors_against(document, schema, {"unexpected": True}) != [], url


def test_the_document_is_a_valid_openapi_3_document(document: dict[str, Any]) -> None:
    validate(document)  # raises, naming the first place it is not


def _header_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}


@pytest.mark.parametrize(
    ("method", "path", "security", "reads", "sends"),
    [
        ("post", "/offerings", [{"bearer": []}], {"Idempotency-Key"},
         {"ETag", "Log-Position", "Idempotent-Replayed"}),
        ("post", "/contracts/{contract_id}/sign", [{"bearer": []}],
         {"If-Match", "Idempotency-Key"}, {"ETag", "Log-Position", "Idempotent-Replayed"}),
        ("get", "/offerings/{offering_id}", [{}, {"bearer": []}], {"Min-Log-Position"}, {"ETag"}),
        ("get", "/ocds/releases", None, {"Min-Log-Position"}, {"X-Total-Count", "Link"}),
        ("get", "/accounts/me", [{"bearer": []}], {"Min-Log-Position"}, set()),
    ],
)
def test_an_operation_declares_its_authentication_and_the_headers_it_reads_and_sends(
    document: dict[str, Any],
    method: str,
    path: str,
    security: list[dict[str, list[str]]] | None,
    reads: set[str],
    sends: set[str],
) -> None:
    operation = document["paths"][API + path][method]

    assert operation.get("security") == security
    assert _header_names(operation) == reads
    success = next(r for status, r in operation["responses"].items() if status.startswith("2"))
    assert set(success.get("headers", {})) == sends
    if "503" in operation["responses"]:
        assert set(operation["responses"]["503"]["headers"]) == {"Retry-After"}
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer"
    }
