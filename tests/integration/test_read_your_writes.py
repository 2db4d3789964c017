"""A write's response carries its log position; a read that sends it back sees the write."""

from __future__ import annotations

import time
from typing import Any

import pytest

from marketplace import create_app
from projections import ProjectionRunner
from projections.history import HistoryProjection
from tests.conftest import Caller, complete_offering


def test_a_read_with_the_writes_position_sees_the_write_without_any_worker(provider: Any, services: Any) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering())
    position = int(created.headers["Log-Position"])
    assert position == services.runner.head()
    assert min(services.runner.positions().values()) < position  # nothing has projected it yet
    read = caller.get(f"/api/v1/offerings/{created.get_json()['id']}")
    assert read.status_code == 200
    positions = services.runner.positions()
    assert positions["catalog"] >= position
    # it caught up only what the view shows: the history of the draft is not applied yet
    assert positions["history"] < position


def test_a_read_without_a_position_may_not_see_the_write_yet(provider: Any, client: Any) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    stale = Caller(client, caller.token).get(f"/api/v1/offerings/{created['id']}")
    assert stale.status_code == 404  # eventual consistency is real; the header is the remedy


def test_a_position_beyond_the_log_is_refused(anonymous: Any, services: Any) -> None:
    response = anonymous.get(
        "/api/v1/catalog", headers={"Min-Log-Position": str(services.runner.head() + 100)}
    )
    assert response.status_code == 422
    assert "Min-Log-Position" in response.get_json()["errors"]["headers"]


@pytest.mark.parametrize(
    "value", ["soon", "²", "1" * 5000], ids=["word", "superscript", "5000 digits"]
)
def test_a_malformed_position_is_refused(anonymous: Any, value: str) -> None:
    response = anonymous.get("/api/v1/catalog", headers={"Min-Log-Position": value})
    assert response.status_code == 422
    assert "Min-Log-Position" in response.get_json()["errors"]["headers"]


def test_without_catch_up_on_read_a_lagging_read_model_answers_503(lagging_app: Any, provider: Any) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering())

    response = lagging_app.test_client().get(
        "/api/v1/catalog", headers={"Min-Log-Position": created.headers["Log-Position"]}
    )

    assert response.status_code == 503
    assert response.get_json()["status"] == 503


def test_a_read_waits_only_for_the_read_models_its_view_shows(
    lagging_app: Any, provider: Any, services: Any
) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering())
    offering_id = created.get_json()["id"]
    asked = {"Min-Log-Position": created.headers["Log-Position"]}
    services.runner.catch_up(names=["catalog"])  # every other read model lags behind the write
    lagging = lagging_app.test_client()
    token = {"Authorization": f"Bearer {caller.token}"}

    catalog_read = lagging.get(f"/api/v1/offerings/{offering_id}", headers={**asked, **token})
    history_read = lagging.get(
        f"/api/v1/offerings/{offering_id}/history", headers={**asked, **token}
    )

    assert catalog_read.status_code == 200
    assert catalog_read.get_json()["id"] == offering_id
    assert history_read.status_code == 503  # the history has not applied the draft


def test_a_view_that_reads_only_the_event_store_does_not_wait(
    lagging_app: Any, provider: Any, services: Any
) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering())
    assert min(services.runner.positions().values()) < services.runner.head()  # all lag

    me = lagging_app.test_client().get(
        "/api/v1/accounts/me",
        headers={
            "Min-Log-Position": created.headers["Log-Position"],
            "Authorization": f"Bearer {caller.token}",
        },
    )

    assert me.status_code == 200


def test_health_reports_each_projections_lag(provider: Any, anonymous: Any, services: Any) -> None:
    caller, _ = provider
    caller.post("/api/v1/offerings", json=complete_offering())
    health = anonymous.get("/health").get_json()
    head = services.runner.head()
    assert health["store"]["head"] == head
    assert {name: p["lag"] for name, p in health["projections"].items()} == {
        name: head - position for name, position in services.runner.positions().items()
    }
    assert any(p["lag"] > 0 for p in health["projections"].values())


def test_an_unreachable_database_answers_503_not_500(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_CONNECT_TIMEOUT", "1")
    unreachable = create_app(
        {"TESTING": True, "MARKETPLACE": {"database_url": "postgresql://postgres@127.0.0.1:1/none"}}
    )
    for path in ("/health", "/api/v1/catalog"):
        response = unreachable.test_client().get(path)
        assert response.status_code == 503
        assert response.get_json()["message"] == "the database is unavailable; retry shortly"


@pytest.fixture
def impatient_app(database_url: str) -> Any:
    """A second app on the same database whose reads catch up two events at a time and give up
    at once: each read that asks for a position does at most one batch itself."""
    application = create_app(
        {
            "TESTING": True,
            "MARKETPLACE": {
                "database_url": database_url,
                "read_wait_seconds": 0,
                "projection_batch_size": 2,
            },
        }
    )
    yield application
    application.extensions["marketplace"].close()


def _offering_with_revisions(caller: Caller, revisions: int) -> tuple[str, int]:
    created = caller.post("/api/v1/offerings", json=complete_offering())
    offering_id = created.get_json()["id"]
    position = int(created.headers["Log-Position"])
    for n in range(revisions):
        revised = caller.patch(f"/api/v1/offerings/{offering_id}", json={"summary": f"Summary {n}"})
        assert revised.status_code == 200
        position = int(revised.headers["Log-Position"])
    return offering_id, position


def test_a_read_of_a_read_model_far_behind_does_a_bounded_part_of_the_catch_up(
    impatient_app: Any, provider: Any, services: Any
) -> None:
    caller, _ = provider
    offering_id, position = _offering_with_revisions(caller, revisions=6)
    services.runner.catch_up()
    services.runner.reset(["history"])  # as at the start of a rebuild

    read = impatient_app.test_client().get(
        f"/api/v1/offerings/{offering_id}/history",
        headers={"Min-Log-Position": str(position), "Authorization": f"Bearer {caller.token}"},
    )

    assert read.status_code == 503
    assert services.runner.positions()["history"] == 2  # one batch of two, not the whole log


def test_a_read_model_that_cannot_apply_an_event_holds_up_only_the_reads_that_show_it(
    impatient_app: Any, provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller, _ = provider
    with impatient_app.app_context():
        runner = impatient_app.extensions["marketplace"].get().runner
    runner.catch_up()  # the history's next batch is the offering's
    offering_id, position = _offering_with_revisions(caller, revisions=1)
    runner.catch_up(names=["catalog"])

    tries: list[int] = []

    def cannot_apply(*args: Any, **kwargs: Any) -> Any:
        tries.append(1)
        raise ValueError("an event the history cannot apply: Summary 0")

    monkeypatch.setattr(runner.projections["history"], "prepare", cannot_apply)
    client = impatient_app.test_client()
    headers = {"Min-Log-Position": str(position), "Authorization": f"Bearer {caller.token}"}

    history = client.get(f"/api/v1/offerings/{offering_id}/history", headers=headers)
    offering = client.get(f"/api/v1/offerings/{offering_id}", headers=headers)

    assert history.status_code == 503  # not a 500: the worker retries, the client may too
    assert history.get_json()["message"] == (
        f"the history read model cannot apply the events before position {position}; "
        "the operator is told (see /health); retry later"
    )
    assert history.headers["Retry-After"] == "60"
    assert runner.positions()["history"] < position
    assert offering.status_code == 200
    assert offering.get_json()["summary"] == "Summary 0"
    assert len(tries) == 1

    again = client.get(f"/api/v1/offerings/{offering_id}/history", headers=headers)
    assert again.status_code == 503 and again.headers["Retry-After"] == "60"
    assert len(tries) == 1  # a read does not try the batch again: the worker does, less often


def test_a_catch_up_with_a_deadline_past_applies_one_batch(provider: Any, services: Any) -> None:
    caller, _ = provider
    _offering_with_revisions(caller, revisions=4)
    runner = ProjectionRunner(services.app, services.engines, [HistoryProjection()], batch_size=2)

    read = runner.catch_up(deadline=time.monotonic())

    assert read == 2
    assert runner.positions() == {"history": 2}
