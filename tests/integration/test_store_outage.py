"""With the database away, a request learns it in a couple of tries, not the library's ten."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from eventsourcing.persistence import OperationalError

from events.store import ATTEMPTS, FailFastPostgresApplicationRecorder
from tests.conftest import _empty_postgres


@pytest.fixture
def database_url(postgres_database: str) -> str:
    """PostgreSQL only: the SQLite store is a file, never away."""
    _empty_postgres(postgres_database)
    return postgres_database


@contextmanager
def database_away(recorder: Any) -> Iterator[list[int]]:
    """Every connection the store asks its pool for fails, as with the server unreachable;
    yields the list of attempts made."""
    attempts: list[int] = []

    @contextmanager
    def refused() -> Iterator[Any]:
        attempts.append(1)
        raise OperationalError("connection refused")
        yield  # pragma: no cover

    original = recorder.datastore.get_connection
    recorder.datastore.get_connection = refused
    try:
        yield attempts
    finally:
        recorder.datastore.get_connection = original


def test_with_the_database_away_each_call_to_the_store_is_tried_twice_then_answered_503(
    services: Any, anonymous: Any
) -> None:
    recorder = services.app.recorder
    assert isinstance(recorder, FailFastPostgresApplicationRecorder)

    with database_away(recorder) as attempts:
        with pytest.raises(OperationalError):
            recorder.max_notification_id()
        assert len(attempts) == ATTEMPTS == 2
        attempts.clear()
        response = anonymous.get("/health")

    assert response.status_code == 503
    assert response.get_json()["message"] == "the database is unavailable; retry shortly"
    assert 1 <= len(attempts) <= ATTEMPTS
    assert anonymous.get("/health").status_code == 200  # back as soon as it is
