"""``as_of`` reads a resource as it stood at a moment; ``/history`` says who did what, when."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from tests.conftest import complete_offering


def test_an_offering_as_of_an_earlier_time_shows_the_state_then(clock: Any, provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering(title="First title")).get_json()
    caller.post(f"/api/v1/offerings/{offering['id']}/publish")
    published_at = clock.moment
    clock.advance(days=3)
    caller.patch(f"/api/v1/offerings/{offering['id']}", json={"title": "Second title"})

    then = anonymous.sees(caller).get(
        f"/api/v1/offerings/{offering['id']}", query_string={"as_of": published_at.isoformat()}
    )
    now = anonymous.get(f"/api/v1/offerings/{offering['id']}")
    assert then.status_code == 200 and then.get_json()["title"] == "First title"
    assert then.get_json()["status"] == "published" and then.get_json()["version"] == 2
    assert now.get_json()["title"] == "Second title"


def test_an_offering_as_of_before_it_existed_is_not_found(clock: Any, provider: Any) -> None:
    caller, _ = provider
    before = clock.moment - timedelta(days=1)
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    response = caller.get(f"/api/v1/offerings/{offering['id']}", query_string={"as_of": before.isoformat()})
    assert response.status_code == 404
    assert response.get_json()["message"] == f"offering {offering['id']} not found"


def test_another_providers_draft_as_of_any_moment_answers_as_an_id_that_names_nothing(
    clock: Any, provider: Any, make_provider: Any
) -> None:
    caller, _ = provider
    other, _ = make_provider()
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    clock.advance(hours=1)
    unknown = str(uuid4())
    for moment in (clock.moment - timedelta(days=1), clock.moment):
        answers = []
        for target in (offering["id"], unknown):
            response = other.sees(caller).get(
                f"/api/v1/offerings/{target}", query_string={"as_of": moment.isoformat()}
            )
            answers.append((response.status_code, response.get_json()["message"].replace(target, "ID")))
        assert answers[0] == answers[1] == (404, "offering ID not found")


def test_a_draft_as_of_its_draft_days_stays_invisible_to_others(clock: Any, provider: Any, anonymous: Any) -> None:
    caller, _ = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    drafted_at = clock.moment
    clock.advance(hours=1)
    caller.post(f"/api/v1/offerings/{offering['id']}/publish")
    query = {"as_of": drafted_at.isoformat()}
    assert anonymous.sees(caller).get(f"/api/v1/offerings/{offering['id']}", query_string=query).status_code == 404
    assert caller.get(f"/api/v1/offerings/{offering['id']}", query_string=query).status_code == 200


def test_as_of_must_carry_a_time_zone(provider: Any) -> None:
    caller, _ = provider
    offering = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    response = caller.get(f"/api/v1/offerings/{offering['id']}", query_string={"as_of": "2026-11-02T09:00:00"})
    assert response.status_code == 422
    assert "as_of" in response.get_json()["errors"]["query"]
