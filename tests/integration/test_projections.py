"""Read models are applied exactly once: crash and resume, concurrent workers, rebuild from zero."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from events.offerings import OfferingRevised
from marketplace.domain.offerings import Offering
from projections import ProjectionRunner, all_projections
from projections.catalog import CatalogProjection
from projections.history import HistoryProjection
from projections.queries import offering_document
from projections.tables import event_history
from tests.conftest import complete_offering
from tests.integration.readmodels import snapshot


class Crash(Exception):
    pass


class CrashingCatalog(CatalogProjection):
    """Fails on the n-th revision it applies, as a worker killed mid-batch would."""

    def __init__(self, crash_on: int):
        self.crash_on = crash_on
        self.seen = 0

    def apply_batch(self, conn: Any, items: list[tuple[int, Any]]) -> None:
        for index, (position, event) in enumerate(items):
            if isinstance(event, OfferingRevised):
                self.seen += 1
                if self.seen == self.crash_on:
                    super().apply_batch(conn, items[:index])  # half the batch written, then...
                    raise Crash(f"crashed at position {position}")
        super().apply_batch(conn, items)


def _write_history(services: Any, make_provider: Any, revisions: int) -> None:
    caller, _ = make_provider()
    created = caller.post("/api/v1/offerings", json=complete_offering()).get_json()
    for n in range(revisions):
        response = caller.patch(f"/api/v1/offerings/{created['id']}", json={"summary": f"Summary {n}"})
        assert response.status_code == 200
    assert caller.post(f"/api/v1/offerings/{created['id']}/publish").status_code == 200


def _runner(services: Any, projections: list[Any], batch_size: int = 1000) -> ProjectionRunner:
    return ProjectionRunner(services.app, services.engines, projections, batch_size=batch_size)


def test_a_crash_mid_batch_changes_nothing_and_the_resumed_run_equals_a_rebuild(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    head = services.runner.head()

    crashing = _runner(services, [CrashingCatalog(crash_on=7), HistoryProjection()])
    with pytest.raises(Crash):
        crashing.catch_up()
    assert crashing.positions() == {"catalog": 0, "history": 0}
    assert snapshot(services.engines.reader)["offerings"] == []

    resumed = _runner(services, all_projections(services.app))
    resumed.catch_up()
    assert resumed.positions() == {name: head for name in resumed.projections}
    after_resume = snapshot(services.engines.reader)

    resumed.rebuild()
    assert snapshot(services.engines.reader) == after_resume


def test_a_crash_in_a_later_batch_keeps_the_batches_already_committed(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    head = services.runner.head()
    crashing = _runner(services, [CrashingCatalog(crash_on=10)], batch_size=5)
    with pytest.raises(Crash):
        crashing.catch_up()
    stopped_at = crashing.positions()["catalog"]
    assert 0 < stopped_at < head
    assert stopped_at % 5 == 0  # whole batches only

    resumed = _runner(services, [CatalogProjection()], batch_size=5)
    resumed.catch_up()
    resumed_catalog = snapshot(services.engines.reader)["offerings"]
    resumed.rebuild()
    assert snapshot(services.engines.reader)["offerings"] == resumed_catalog


def test_two_workers_catching_up_at_once_apply_each_event_once(
    services: Any, make_provider: Any
) -> None:
    for _ in range(3):
        _write_history(services, make_provider, revisions=15)
    head = services.runner.head()
    runners = [_runner(services, all_projections(services.app), batch_size=7) for _ in range(2)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def work(runner: ProjectionRunner) -> None:
        try:
            start.wait()
            runner.catch_up()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert runners[0].positions() == {name: head for name in runners[0].projections}
    with services.engines.reader.connect() as conn:
        recorded = conn.execute(select(func.count()).select_from(event_history)).scalar_one()
        distinct = conn.execute(
            select(func.count()).select_from(
                select(event_history.c.aggregate_id, event_history.c.version).distinct().subquery()
            )
        ).scalar_one()
    public_events = [
        n for n in services.app.recorder.select_notifications(1, head + 1)
        if n.topic in HistoryProjection().topics()
    ]
    assert recorded == distinct == len(public_events)


def test_rebuilding_from_zero_reproduces_the_incrementally_built_read_models(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=3)
    services.runner.catch_up()
    incremental = snapshot(services.engines.reader)
    assert incremental["offerings"] and incremental["event_history"]
    services.runner.rebuild()
    assert snapshot(services.engines.reader) == incremental


def test_catch_up_reads_events_written_directly_through_the_application(services: Any, make_provider: Any) -> None:
    caller, _ = make_provider()
    account = services.app.authenticate(caller.token)
    offering = Offering.draft(account, {"title": "Written without HTTP"})
    services.app.save(offering)
    services.runner.catch_up()
    with services.engines.reader.connect() as conn:
        document = offering_document(conn, offering.id)
    assert document is not None and document["title"] == "Written without HTTP"
