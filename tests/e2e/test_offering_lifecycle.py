"""An offering's life through HTTP: draft, revise, publish, withdraw, history."""

from __future__ import annotations

from typing import Any

from tests.conftest import complete_offering


def test_a_provider_drafts_publishes_and_withdraws_an_offering(provider: Any, anonymous: Any) -> None:
    caller, provider_id = provider
    draft = caller.post("/api/v1/offerings", json=complete_offering())
    assert draft.status_code == 201
    offering = draft.get_json()
    assert offering["status"] == "draft"
    assert offering["provider"]["id"] == provider_id

    published = caller.post(f"/api/v1/offerings/{offering['id']}/publish")
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"

    anonymous.sees(caller)
    read = anonymous.get(f"/api/v1/offerings/{offering['id']}")
    assert read.status_code == 200
    assert read.get_json() == published.get_json()
    assert read.headers["ETag"] == f'"{published.get_json()["version"]}"'

    withdrawn = caller.post(f"/api/v1/offerings/{offering['id']}/withdraw", json={"reason": "retired"})
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["withdrawal_reason"] == "retired"

    history = caller.get(f"/api/v1/offerings/{offering['id']}/history").get_json()
    assert [e["type"] for e in history["items"]] == ["Drafted", "Published", "Withdrawn"]


def test_the_offering_page_shows_a_designation_as_a_label(
    published_offering: Any, make_account: Any, anonymous: Any
) -> None:
    offering = published_offering()
    authority = make_account("authority")
    issued = authority.post(
        f"/api/v1/offerings/{offering['id']}/designations",
        json={
            "name": "Montana Approved Personalized Learning Model",
            "issuer": "Montana OPI",
            "criteria_url": "https://opi.example.gov/criteria",
            "valid_from": "2026-01-01",
        },
    )
    assert issued.status_code == 201, issued.get_json()
    page = anonymous.sees(authority).get(f"/api/v1/offerings/{offering['id']}").get_json()
    assert [(d["name"], d["status"]) for d in page["designations"]] == [
        ("Montana Approved Personalized Learning Model", "active")
    ]
    assert page["version"] == offering["version"]  # a label, not a change to the listing


DESIGNATION = {
    "name": "Montana Approved Personalized Learning Model",
    "issuer": "Montana OPI",
    "criteria_url": "https://opi.example.gov/criteria",
    "valid_from": "2026-01-01",
}


def test_a_revision_of_a_designated_offering_answers_with_its_designation(
    published_offering: Any, provider: Any, make_account: Any
) -> None:
    caller, _ = provider
    offering = published_offering()
    authority = make_account("authority")
    issued = authority.post(f"/api/v1/offerings/{offering['id']}/designations", json=DESIGNATION)
    assert issued.status_code == 201, issued.get_json()
    caller.sees(authority).get(f"/api/v1/offerings/{offering['id']}")  # the read model has it

    revised = caller.patch(
        f"/api/v1/offerings/{offering['id']}",
        json={"summary": "Now with weekly coaching."},
        headers={"If-Match": f'"{offering["version"]}"'},
    )
    assert revised.status_code == 200, revised.get_json()
    assert [d["name"] for d in revised.get_json()["designations"]] == [DESIGNATION["name"]]


def test_drafts_are_answered_without_reading_the_read_models(provider: Any, services: Any) -> None:
    """A draft cannot be designated, so its designations are known to be none, and the provider's
    legal name never changes, so neither needs a read-model read."""
    from sqlalchemy import event

    caller, provider_id = provider
    checkouts: list[object] = []

    def count(*args: object) -> None:
        checkouts.append(args)

    event.listen(services.engines.reader, "checkout", count)
    try:
        draft = caller.post("/api/v1/offerings", json=complete_offering())
        revised = caller.patch(
            f"/api/v1/offerings/{draft.get_json()['id']}",
            json={"title": "Prairie Math Mastery, second edition"},
            headers={"If-Match": '"1"'},
        )
    finally:
        event.remove(services.engines.reader, "checkout", count)
    assert draft.status_code == 201 and revised.status_code == 200, revised.get_json()
    for answer in (draft.get_json(), revised.get_json()):
        assert answer["designations"] == []
        assert answer["provider"] == {"id": provider_id, "name": answer["provider"]["name"]}
        assert answer["provider"]["name"].startswith("Prairie Learning Collaborative")
    assert checkouts == []


def test_a_revision_that_changes_nothing_still_answers_with_a_log_position(
    provider: Any, services: Any
) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering(title="Orchard Math"))
    offering = created.get_json()
    head = services.runner.head()

    same = caller.patch(f"/api/v1/offerings/{offering['id']}", json={"title": "Orchard Math"})

    assert same.status_code == 200, same.get_json()
    assert same.get_json()["version"] == offering["version"]
    assert int(same.headers["Log-Position"]) == head == services.runner.head()
