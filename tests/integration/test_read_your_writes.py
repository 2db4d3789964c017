"""A write's response carries its log position; a read that sends it back sees the write."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace import create_app
from tests.conftest import Caller, complete_offering


def test_a_read_with_the_writes_position_sees_the_write_without_any_worker(provider: Any, services: Any) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering())
    position = int(created.headers["Log-Position"])
    assert position == services.runner.head()
    assert min(services.runner.positions().values()) < position  # nothing has projected it yet
    read = caller.get(f"/api/v1/offerings/{created.get_json()['id']}")
    assert read.status_code == 200
    assert min(services.runner.positions().values()) >= position


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


def test_a_malformed_position_is_refused(anonymous: Any) -> None:
    response = anonymous.get("/api/v1/catalog", headers={"Min-Log-Position": "soon"})
    assert response.status_code == 422


def test_without_catch_up_on_read_a_lagging_read_model_answers_503(lagging_app: Any, provider: Any) -> None:
    caller, _ = provider
    created = caller.post("/api/v1/offerings", json=complete_offering())

    response = lagging_app.test_client().get(
        "/api/v1/catalog", headers={"Min-Log-Position": created.headers["Log-Position"]}
    )

    assert response.status_code == 503
    assert response.get_json()["status"] == 503


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
