"""Every refusal through HTTP: one error envelope, the right status, and nothing written."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest

from marketplace.domain.validation import CONTROL_CHARACTERS_MESSAGE, SURROGATES_MESSAGE
from tests.conftest import PROVIDER_BODY, complete_offering
from tests.openapi import errors_against, response_schema

OFFERINGS = "/api/v1/offerings"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def assert_envelope(response: Any, status: int) -> dict[str, Any]:
    """The response is the error envelope with ``status``; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"status", "error", "message", "errors"}
    assert isinstance(body["errors"], dict)
    assert body["status"] == status
    assert body["error"] == HTTPStatus(status).phrase
    assert isinstance(body["message"], str) and body["message"].strip()
    return body


def draft(caller: Any, **overrides: Any) -> dict[str, Any]:
    response = caller.post(OFFERINGS, json=complete_offering(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def publish(caller: Any, offering: dict[str, Any]) -> dict[str, Any]:
    response = caller.post(f"{OFFERINGS}/{offering['id']}/publish")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_no_offerings_written(caller: Any, provider_id: str) -> None:
    """The provider's offerings (drafts included) hold nothing but a marker drafted now.

    The marker is written after the refused request, so reading at least as far as the marker
    guarantees that anything the refused request had written would be visible too.
    """
    marker = draft(caller, title="Marker Written Afterwards")
    listed = caller.get(f"/api/v1/providers/{provider_id}/offerings")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.get_json()["items"]] == [marker["id"]]


def read(caller: Any, offering: dict[str, Any]) -> dict[str, Any]:
    response = caller.get(f"{OFFERINGS}/{offering['id']}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# Input ------------------------------------------------------------------------------------------


def test_a_missing_required_field_is_refused_naming_it_and_nothing_is_written(
    provider: Any
) -> None:
    caller, provider_id = provider
    body = complete_offering()
    del body["title"]

    response = caller.post(OFFERINGS, json=body)

    assert "title" in assert_envelope(response, 422)["errors"]["json"]
    assert_no_offerings_written(caller, provider_id)


def test_a_title_that_is_not_a_string_is_refused_naming_it(provider: Any) -> None:
    caller, _ = provider

    response = caller.post(OFFERINGS, json=complete_offering(title=42))

    assert "title" in assert_envelope(response, 422)["errors"]["json"]


def test_a_list_price_sent_as_a_json_number_is_refused_naming_it(provider: Any) -> None:
    caller, _ = provider
    body = complete_offering()
    body["pricing"]["list_price"] = 42.0

    response = caller.post(OFFERINGS, json=body)

    errors = assert_envelope(response, 422)["errors"]["json"]
    assert "list_price" in errors["pricing"]


def test_an_unknown_field_in_the_body_is_refused_naming_it(provider: Any) -> None:
    caller, _ = provider

    response = caller.post(OFFERINGS, json=complete_offering(colour="green"))

    assert "colour" in assert_envelope(response, 422)["errors"]["json"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        # Recorded, a NUL would stop every PostgreSQL read model at that event.
        ("title", "Algebra\x00Lab", CONTROL_CHARACTERS_MESSAGE),
        ("summary", "Half a pair: \ud83d.", SURROGATES_MESSAGE),
    ],
)
def test_text_that_cannot_be_recorded_is_refused_naming_the_field_and_nothing_is_written(
    provider: Any, field: str, value: str, message: str
) -> None:
    caller, provider_id = provider

    response = caller.post(OFFERINGS, json=complete_offering(**{field: value}))

    assert assert_envelope(response, 422)["errors"]["json"] == {field: [message]}
    assert_no_offerings_written(caller, provider_id)


def test_a_control_character_deep_in_a_body_is_refused_naming_where_it_is(provider: Any) -> None:
    caller, _ = provider
    body = complete_offering()
    body["evidence"]["study_title"] = "Effects of \x07adaptive practice"

    response = caller.post(OFFERINGS, json=body)

    errors = assert_envelope(response, 422)["errors"]["json"]
    assert errors == {"evidence": {"study_title": [CONTROL_CHARACTERS_MESSAGE]}}


def test_a_control_character_in_a_query_is_refused_naming_the_parameter(anonymous: Any) -> None:
    for path in ("/api/v1/catalog", "/api/v1/providers"):
        response = anonymous.get(path, query_string={"q": "math\x00"})

        errors = assert_envelope(response, 422)["errors"]["query"]
        assert errors == {"q": [CONTROL_CHARACTERS_MESSAGE]}


def test_tabs_and_line_breaks_in_text_are_accepted(provider: Any) -> None:
    caller, _ = provider

    description = "One.\n\tTwo.\r\nThree."

    response = caller.post(OFFERINGS, json=complete_offering(description=description))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["description"] == description


def test_a_malformed_json_body_is_refused_with_a_message(provider: Any) -> None:
    caller, _ = provider

    response = caller.post(
        OFFERINGS, data='{"title": "Broken', headers={"Content-Type": "application/json"}
    )

    assert response.status_code in (400, 422)
    body = assert_envelope(response, response.status_code)
    assert "json" in body["message"].lower()


def test_a_body_over_the_size_limit_is_refused_as_too_large(provider: Any) -> None:
    caller, _ = provider

    response = caller.post(OFFERINGS, json=complete_offering(description="x" * 300_000))

    assert_envelope(response, 413)


# Not found --------------------------------------------------------------------------------------


def test_an_unknown_offering_id_is_not_found(anonymous: Any) -> None:
    body = assert_envelope(anonymous.get(f"{OFFERINGS}/{UNKNOWN_ID}"), 404)

    assert UNKNOWN_ID in body["message"]


def test_publishing_an_unknown_offering_id_is_not_found(provider: Any) -> None:
    caller, _ = provider

    assert_envelope(caller.post(f"{OFFERINGS}/{UNKNOWN_ID}/publish"), 404)


def test_an_id_that_is_not_a_uuid_is_not_found(anonymous: Any) -> None:
    assert_envelope(anonymous.get(f"{OFFERINGS}/not-a-uuid"), 404)


def test_an_unknown_route_is_not_found(anonymous: Any) -> None:
    assert_envelope(anonymous.get("/api/v1/no-such-resource"), 404)


def test_a_method_the_route_does_not_allow_is_refused(anonymous: Any) -> None:
    response = anonymous.client.delete("/api/v1/catalog")

    assert_envelope(response, 405)


# Authentication and permission ------------------------------------------------------------------


def test_a_write_without_a_token_needs_authentication(anonymous: Any) -> None:
    response = anonymous.post(OFFERINGS, json=complete_offering())

    assert_envelope(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-real-token", "Basic x", "Bearer "],
    ids=["unknown-bearer-token", "basic-scheme", "empty-bearer-token"],
)
def test_a_write_with_a_bad_authorization_header_is_unauthenticated(
    client: Any, authorization: str
) -> None:
    response = client.post(
        OFFERINGS, json=complete_offering(), headers={"Authorization": authorization}
    )

    body = assert_envelope(response, 401)
    assert "Authorization" in body["errors"]["headers"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_buyer_cannot_draft_an_offering(make_account: Any) -> None:
    buyer = make_account("buyer")

    assert_envelope(buyer.post(OFFERINGS, json=complete_offering()), 403)


def test_another_provider_publishing_my_draft_finds_nothing_and_it_stays_a_draft(
    provider: Any, make_provider: Any
) -> None:
    owner, _ = provider
    mine = draft(owner)
    other, _ = make_provider()

    assert_envelope(other.post(f"{OFFERINGS}/{mine['id']}/publish"), 404)

    after = read(owner, mine)
    assert after["status"] == "draft"
    assert after["version"] == mine["version"]


@pytest.mark.parametrize("action", ["publish", "withdraw", "revise"])
def test_another_provider_changing_my_published_offering_is_forbidden_and_changes_nothing(
    provider: Any, make_provider: Any, anonymous: Any, action: str
) -> None:
    owner, _ = provider
    mine = publish(owner, draft(owner))
    other, _ = make_provider()
    other.sees(owner)
    path = f"{OFFERINGS}/{mine['id']}"

    if action == "revise":
        response = other.patch(path, json={"title": "Taken Over"})
    else:
        response = other.post(f"{path}/{action}", json={} if action == "withdraw" else None)

    assert_envelope(response, 403)
    anonymous.sees(owner)
    assert read(anonymous, mine) == mine


@pytest.mark.parametrize("reader", ["other_provider", "anonymous"])
def test_a_draft_is_invisible_to_anyone_but_its_owner(
    provider: Any, make_provider: Any, anonymous: Any, reader: str
) -> None:
    owner, _ = provider
    mine = draft(owner)
    caller = make_provider()[0] if reader == "other_provider" else anonymous
    caller.sees(owner)

    body = assert_envelope(caller.get(f"{OFFERINGS}/{mine['id']}"), 404)

    assert mine["id"] in body["message"]


def test_the_owner_reads_its_own_draft(provider: Any) -> None:
    owner, _ = provider
    mine = draft(owner)

    response = owner.get(f"{OFFERINGS}/{mine['id']}")

    assert response.status_code == 200
    assert response.get_json() == mine


# Versions ---------------------------------------------------------------------------------------


def test_a_revision_with_a_stale_if_match_is_refused_and_changes_nothing(provider: Any) -> None:
    caller, _ = provider
    offering = draft(caller)
    revised = caller.patch(f"{OFFERINGS}/{offering['id']}", json={"title": "Second Title"})
    assert revised.status_code == 200
    current = revised.get_json()

    response = caller.patch(
        f"{OFFERINGS}/{offering['id']}",
        json={"title": "Third Title"},
        headers={"If-Match": f'"{offering["version"]}"'},
    )

    assert_envelope(response, 412)
    assert read(caller, offering) == current


def test_a_revision_with_the_current_if_match_is_applied(provider: Any) -> None:
    caller, _ = provider
    offering = draft(caller)

    response = caller.patch(
        f"{OFFERINGS}/{offering['id']}",
        json={"title": "Second Title"},
        headers={"If-Match": f'"{offering["version"]}"'},
    )

    assert response.status_code == 200
    revised = response.get_json()
    assert revised["title"] == "Second Title"
    assert revised["version"] == offering["version"] + 1
    assert response.headers["ETag"] == f'"{revised["version"]}"'


@pytest.mark.parametrize(
    "value", ["abc", '"²"', '"' + "1" * 5000 + '"'],
    ids=["letters", "a superscript digit", "5000 digits"],
)
def test_a_malformed_if_match_is_refused_naming_the_header(provider: Any, value: str) -> None:
    caller, _ = provider
    offering = draft(caller)

    response = caller.patch(
        f"{OFFERINGS}/{offering['id']}", json={"title": "Second Title"}, headers={"If-Match": value}
    )

    assert "If-Match" in assert_envelope(response, 422)["errors"]["headers"]
    assert read(caller, offering) == offering


@pytest.mark.parametrize("key", ["   ", "k" * 256], ids=["blank", "over 255 characters"])
def test_a_blank_or_too_long_idempotency_key_is_refused_naming_the_header(
    provider: Any, key: str
) -> None:
    caller, provider_id = provider

    response = caller.post(OFFERINGS, json=complete_offering(), headers={"Idempotency-Key": key})

    body = assert_envelope(response, 422)
    assert set(body["errors"]) == {"headers"}
    assert set(body["errors"]["headers"]) == {"Idempotency-Key"}
    assert_no_offerings_written(caller, provider_id)


# State ------------------------------------------------------------------------------------------


def test_publishing_an_already_published_offering_is_a_conflict(provider: Any) -> None:
    caller, _ = provider
    published = publish(caller, draft(caller))

    assert_envelope(caller.post(f"{OFFERINGS}/{published['id']}/publish"), 409)
    assert read(caller, published) == published


def test_withdrawing_a_draft_is_a_conflict(provider: Any) -> None:
    caller, _ = provider
    offering = draft(caller)

    response = caller.post(f"{OFFERINGS}/{offering['id']}/withdraw", json={"reason": "too early"})

    assert_envelope(response, 409)
    assert read(caller, offering)["status"] == "draft"


def test_publishing_an_incomplete_draft_is_refused_naming_each_missing_field(provider: Any) -> None:
    caller, _ = provider
    missing = ["summary", "description", "model_type", "delivery", "pricing"]
    body = {name: value for name, value in complete_offering().items() if name not in missing}
    created = caller.post(OFFERINGS, json=body)
    assert created.status_code == 201, created.get_json()
    offering = created.get_json()

    response = caller.post(f"{OFFERINGS}/{offering['id']}/publish")

    errors = assert_envelope(response, 422)["errors"]["json"]
    assert set(errors) == set(missing)
    assert read(caller, offering)["status"] == "draft"


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda body: body["pricing"]["volume_tiers"][0].update(min_quantity=5.5), "pricing"),
        (lambda body: body["pricing"]["volume_tiers"][0].update(min_quantity="50"), "pricing"),
        (lambda body: body["evidence"].update(tier=2.5), "evidence"),
    ],
    ids=["a fractional tier quantity", "a quantity as a string", "a fractional evidence tier"],
)
def test_a_whole_number_given_as_anything_else_is_refused_not_truncated(
    provider: Any, change: Any, where: str
) -> None:
    caller, provider_id = provider
    body = complete_offering()
    change(body)

    response = caller.post(OFFERINGS, json=body)

    assert where in assert_envelope(response, 422)["errors"]["json"]
    assert_no_offerings_written(caller, provider_id)


def test_a_volume_tier_priced_above_the_list_price_is_refused_naming_the_tier(
    provider: Any
) -> None:
    caller, provider_id = provider
    body = complete_offering()
    body["pricing"]["volume_tiers"][0]["unit_price"] = "50.00"  # list price 42.00

    response = caller.post(OFFERINGS, json=body)

    errors = assert_envelope(response, 422)["errors"]["json"]
    assert "pricing.volume_tiers.0.unit_price" in errors
    assert_no_offerings_written(caller, provider_id)


# Providers --------------------------------------------------------------------------------------


def _register_provider(caller: Any, ein: str) -> Any:
    body = {**PROVIDER_BODY, "identifier": {"scheme": "us-ein", "id": f" {ein} "}}
    return caller.post("/api/v1/providers", json=body)


def _providers_with(anonymous: Any, ein: str) -> list[dict[str, Any]]:
    listed = anonymous.get("/api/v1/providers", query_string={"q": ein})
    assert listed.status_code == 200, listed.get_json()
    return listed.get_json()["items"]


def test_an_identifier_already_registered_is_refused_naming_it_and_nothing_is_written(
    make_provider: Any, make_account: Any, anonymous: Any
) -> None:
    first, provider_id = make_provider(ein="84-7654321")
    second = make_account("provider")

    body = assert_envelope(_register_provider(second, "84-7654321"), 422)

    assert set(body["errors"]["json"]) == {"identifier"}
    assert "84-7654321 is already registered" in body["message"]
    assert second.get("/api/v1/accounts/me").get_json()["organization_id"] is None
    assert [p["id"] for p in _providers_with(anonymous.sees(first), "84-7654321")] == [
        provider_id
    ]


def test_two_registrations_of_one_identifier_racing_save_one_and_the_other_is_a_conflict(
    make_account: Any, anonymous: Any, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_account("provider"), make_account("provider")
    # Both requests pass the registered-already check before either is saved.
    monkeypatch.setattr(services.app, "load_optional", lambda _id: None)

    assert _register_provider(first, "84-7654322").status_code == 201
    assert_envelope(_register_provider(second, "84-7654322"), 409)

    assert second.get("/api/v1/accounts/me").get_json()["organization_id"] is None
    assert len(_providers_with(anonymous.sees(first), "84-7654322")) == 1


# Documentation ----------------------------------------------------------------------------------


def test_the_openapi_document_describes_the_catalog_and_offering_paths(anonymous: Any) -> None:
    response = anonymous.get("/api/openapi.json")

    assert response.status_code == 200
    paths = response.get_json()["paths"]
    assert "get" in paths["/api/v1/catalog"]
    assert {"get", "patch"} <= set(paths["/api/v1/offerings/{offering_id}"])


def test_an_error_no_field_is_at_fault_for_names_none(anonymous: Any) -> None:
    body = assert_envelope(anonymous.get(f"{OFFERINGS}/{UNKNOWN_ID}"), 404)

    assert body["errors"] == {}


def test_the_documented_error_response_describes_the_error_bodies_the_service_gives(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    document = anonymous.get("/api/openapi.json").get_json()
    schema = response_schema(document, "/api/v1/offerings", "post", "default")
    bodies = [
        anonymous.get(f"{OFFERINGS}/{UNKNOWN_ID}").get_json(),  # no field at fault
        anonymous.post(OFFERINGS, json=complete_offering()).get_json(),  # 401
        caller.post(OFFERINGS, json=complete_offering(title=42)).get_json(),  # fields at fault
    ]

    for body in bodies:
        assert errors_against(document, schema, body) == [], body
    assert errors_against(document, schema, {"code": 404, "status": "Not Found"}) != []


def test_a_price_in_exponent_notation_is_recorded_in_cents_and_the_catalog_still_answers(
    provider: Any, anonymous: Any
) -> None:
    caller, _ = provider
    body = complete_offering(pricing={"unit": "per_student_per_year", "list_price": "1E+2"})
    created = caller.post("/api/v1/offerings", json=body)
    assert created.status_code == 201
    assert created.get_json()["pricing"]["list_price"] == "100.00"
    caller.post(f"/api/v1/offerings/{created.get_json()['id']}/publish")
    catalog = anonymous.sees(caller).get("/api/v1/catalog?max_price=100")
    assert catalog.status_code == 200
    assert [i["id"] for i in catalog.get_json()["items"]] == [created.get_json()["id"]]


def test_an_absurd_max_price_is_a_422_naming_the_parameter(anonymous: Any) -> None:
    response = anonymous.get("/api/v1/catalog?max_price=1e30")
    assert response.status_code == 422
    assert "max_price" in response.get_json()["errors"]["query"]


def test_a_query_parameter_that_takes_one_value_given_twice_is_refused_naming_it(
    anonymous: Any,
) -> None:
    response = anonymous.get("/api/v1/catalog?page=1&page=2")
    assert "page" in assert_envelope(response, 422)["errors"]["query"]
    either = anonymous.get("/api/v1/catalog?subject=math&subject=science")  # a list: any of them
    assert either.status_code == 200


def test_a_write_without_an_account_is_refused_401_before_its_body_is_read(
    anonymous: Any, client: Any
) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer not-a-token"}):
        response = client.post("/api/v1/offerings", json={}, headers=headers)
        assert assert_envelope(response, 401)["status"] == 401, headers
    assert client.post("/api/v1/no-such-thing", json={}).status_code == 404


def test_a_method_the_route_does_not_allow_names_those_it_does_in_allow(anonymous: Any) -> None:
    response = anonymous.client.post("/api/v1/catalog", json={})

    assert_envelope(response, 405)
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "HEAD"}
    assert "POST" not in response.headers["Allow"]
