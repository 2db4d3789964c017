"""Read models are applied exactly once: crash and resume, concurrent workers, rebuild from zero."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError as StoreUnavailable
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from events.offerings import OfferingRevised
from marketplace.domain.offerings import Offering
from projections import ProjectionRunner, all_projections
from projections.runner import Failing
from projections.catalog import TEXT_TABLES, CatalogProjection
from projections.history import HistoryProjection
from projections.queries import offering_document
from projections.tables import event_history, projection_positions
from tests.conftest import complete_offering
from tests.integration.readmodels import history_rows, public_events_in_log, snapshot


class Crash(Exception):
    pass


class CrashingCatalog(CatalogProjection):
    """Fails while writing any batch that holds the n-th revision in the log, after writing part
    of that batch, as a worker killed mid-batch would, and as often as that batch is tried."""

    def __init__(self, crash_on: int):
        self.crash_on = crash_on
        self.revisions: set[int] = set()  # positions of the revisions seen

    def prepare(self, snapshot: Any, items: list[tuple[int, Any]]) -> Any:
        here = {position for position, event in items if isinstance(event, OfferingRevised)}
        self.revisions |= here
        seen = sorted(self.revisions)
        crashing = len(seen) >= self.crash_on and seen[self.crash_on - 1] in here
        return super().prepare(snapshot, items), crashing, items[-1][0]

    def write(self, conn: Any, prepared: Any) -> None:
        writes, crashing, last = prepared
        if crashing:
            for write in writes[: max(1, len(writes) // 2)]:  # part of the batch written, then...
                write(conn)
            raise Crash(f"crashed writing the batch up to position {last}")
        super().write(conn, writes)


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
    services: Any, make_provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _write_history(services, make_provider, revisions=12)
    head = services.runner.head()

    crashing = _runner(services, [CrashingCatalog(crash_on=7), HistoryProjection()])
    with pytest.raises(Crash):
        crashing.catch_up()
    # the batch they shared failed; alone, the history applied it and only the catalog stopped
    assert crashing.positions() == {"catalog": 0, "history": head}
    told = [r for r in caplog.records if r.name == "projections.runner" and r.exc_info]
    assert [r.getMessage() for r in told] == [
        "projection catalog could not apply the events after log position 0"
    ]
    assert snapshot(services.engines.reader)["offerings"] == []
    assert history_rows(services.engines.reader) == public_events_in_log(services, head)

    resumed = _runner(services, all_projections(services.app))
    resumed.catch_up()
    assert resumed.positions() == {name: head for name in resumed.projections}
    after_resume = snapshot(services.engines.reader)

    resumed.rebuild()
    assert snapshot(services.engines.reader) == after_resume


def test_a_catch_up_that_finds_the_event_store_away_raises_without_blaming_the_read_models(
    services: Any,
    make_provider: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _write_history(services, make_provider, revisions=1)

    def away(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(services.app.recorder, "select_notifications", away)
    with pytest.raises(StoreUnavailable):
        services.runner.catch_up()
    assert [r for r in caplog.records if r.name == "projections.runner"] == []


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
    assert recorded == distinct == public_events_in_log(services, head)


class ProbingHistory(HistoryProjection):
    """Runs ``probe`` while its batch is being prepared (once)."""

    def __init__(self, probe: Any):
        self.probe = probe
        self.probed: list[Any] = []

    def prepare(self, snapshot: Any, items: list[tuple[int, Any]]) -> Any:
        if not self.probed:
            self.probed.append(self.probe())
        return super().prepare(snapshot, items)


def test_a_batch_is_worked_out_before_its_write_transaction_takes_the_lock(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=2)

    def another_writer_locks_the_position_row() -> bool:
        with services.engines.writer.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:  # one writer per file: take the lock without waiting for it
                conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            try:
                with conn.begin():
                    conn.execute(
                        select(projection_positions.c.position)
                        .where(projection_positions.c.name == "history")
                        .with_for_update(nowait=True)
                    )
                    return True
            finally:
                if sqlite:
                    conn.connection.driver_connection.execute("PRAGMA busy_timeout=30000")

    history = ProbingHistory(another_writer_locks_the_position_row)
    runner = _runner(services, [history])
    runner.catch_up()
    assert history.probed == [True]
    assert history_rows(services.engines.reader) == public_events_in_log(services, services.runner.head())


class CollectorWatchingHistory(HistoryProjection):
    """Notes, as each batch is worked out, how many objects the garbage collector leaves out."""

    def __init__(self) -> None:
        self.frozen: list[int] = []

    def prepare(self, snapshot: Any, items: list[tuple[int, Any]]) -> Any:
        self.frozen.append(gc.get_freeze_count())
        return super().prepare(snapshot, items)


def test_a_long_catch_up_leaves_older_objects_out_of_the_collector_until_it_ends(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    head = services.runner.head()
    assert gc.get_freeze_count() == 0

    short = CollectorWatchingHistory()
    _runner(services, [short]).catch_up()  # one batch of 1,000: nothing left out
    assert short.frozen == [0]

    long = CollectorWatchingHistory()
    runner = _runner(services, [long], batch_size=5)
    runner.reset(["history"])
    runner.catch_up()
    assert len(long.frozen) > 1 and all(count > 0 for count in long.frozen)
    assert gc.get_freeze_count() == 0  # given back at the end
    assert history_rows(services.engines.reader) == public_events_in_log(services, head)


def test_a_long_catch_up_leaves_objects_frozen_by_someone_else_as_they_were(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    gc.freeze()
    try:
        long = CollectorWatchingHistory()
        _runner(services, [long], batch_size=5).catch_up()
        assert len(long.frozen) > 1
        assert gc.get_freeze_count() > 0  # still frozen: the catch-up did not unfreeze them
    finally:
        gc.unfreeze()


def test_work_prepared_from_a_position_that_then_moved_is_dropped_not_applied_twice(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=4)
    head = services.runner.head()
    other = _runner(services, [HistoryProjection()])

    def the_other_worker_finishes_first() -> int:
        # In a thread, bounded: were the batch prepared while holding the position row's lock,
        # the other worker would wait for it for ever (PostgreSQL) instead of failing the test.
        caught_up: list[int] = []
        worker = threading.Thread(target=lambda: caught_up.append(other.catch_up()), daemon=True)
        worker.start()
        worker.join(timeout=60)
        assert caught_up, "another worker could not catch up while a batch was being prepared"
        return caught_up[0]

    slow = _runner(services, [ProbingHistory(the_other_worker_finishes_first)])
    slow.catch_up()
    assert slow.projections["history"].probed == [head]  # the other applied every event...
    assert slow.positions() == {"history": head}
    assert history_rows(services.engines.reader) == public_events_in_log(services, services.runner.head())  # ...and nothing twice


def _definitions(engine: Any) -> set[tuple[Any, ...]]:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            query = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        else:
            query = (
                "SELECT 'column', table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' UNION ALL "
                "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            )
        return {tuple(row) for row in conn.exec_driver_sql(query)}


def test_a_reset_empties_every_read_model_table_and_leaves_each_as_the_migrations_made_it(
    services: Any, make_provider: Any, anonymous: Any
) -> None:
    _write_history(services, make_provider, revisions=2)
    services.runner.catch_up()
    assert anonymous.get("/api/v1/catalog?q=prairie").get_json()["total"] == 1
    before = _definitions(services.engines.reader)

    services.runner.reset(list(services.runner.projections))
    assert {name: rows for name, rows in snapshot(services.engines.reader).items() if rows} == {}
    with services.engines.reader.connect() as conn:  # the full-text tables, on either database
        assert [conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in TEXT_TABLES.values()] == [0] * 4
    assert services.runner.positions() == {name: 0 for name in services.runner.projections}
    assert _definitions(services.engines.reader) == before

    services.runner.catch_up()  # the emptied full-text tables index again
    found = anonymous.get("/api/v1/catalog?q=prairie").get_json()
    assert [item["title"] for item in found["items"]] == ["Prairie Math Mastery"]


def _locked() -> OperationalError:
    """What SQLite raises when its write lock stays held past the busy timeout."""
    return OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))


class LockedOnce(CatalogProjection):
    """Finds the write lock held too long once in its reset and once in its third batch."""

    def __init__(self) -> None:
        self.resets = 0
        self.batches = 0

    def reset(self, conn: Any) -> None:
        self.resets += 1
        if self.resets == 1:
            raise _locked()
        super().reset(conn)

    def write(self, conn: Any, prepared: Any) -> None:
        self.batches += 1
        if self.batches == 3:
            raise _locked()
        super().write(conn, prepared)


def test_a_patient_rebuild_tries_again_when_the_write_lock_stays_held_and_applies_nothing_twice(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    services.runner.catch_up()
    expected = snapshot(services.engines.reader)
    head = services.runner.head()

    with pytest.raises(OperationalError, match="database is locked"):
        _runner(services, [LockedOnce()], batch_size=5).rebuild()  # no patience: fails at once

    waits: list[Exception] = []
    patient = _runner(services, [LockedOnce()], batch_size=5)
    assert patient.rebuild(patience=60, waiting=waits.append) == head
    assert len(waits) == 2  # the reset and the third batch, each tried again
    assert patient.positions() == {"catalog": head}
    assert snapshot(services.engines.reader) == expected

    with pytest.raises(Crash):  # any other failure is not waited out
        _runner(services, [CrashingCatalog(crash_on=3)], batch_size=5).rebuild(
            patience=60, waiting=waits.append
        )
    assert len(waits) == 2


def _named(services: Any, *names: str) -> list[Any]:
    return [p for p in all_projections(services.app) if p.name in names]


def test_a_rebuild_tells_its_progress_in_log_positions_once_each_when_read_models_go_alone(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    head = services.runner.head()
    steps: list[int] = []
    runner = _runner(
        services,
        [CrashingCatalog(crash_on=7), HistoryProjection(), *_named(services, "procurement")],
        batch_size=5,
    )
    with pytest.raises(Crash):
        runner.rebuild(progress=steps.append)
    positions = runner.positions()
    assert positions["catalog"] < head  # stopped; the two others went on alone, each reading
    assert {positions[name] for name in positions if name != "catalog"} == {head}  # the log
    # ...yet the progress adds up to the log once: how far the slowest still going has got
    assert sum(steps) == head and all(step > 0 for step in steps)

    steps.clear()
    assert _runner(services, all_projections(services.app), batch_size=5).rebuild(
        progress=steps.append
    ) == head
    assert sum(steps) == head and len(steps) == -(-head // 5)  # a step per batch


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


def test_a_read_model_that_cannot_apply_an_event_is_reported_failing_until_it_moves_on(
    app: Any, services: Any, make_provider: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _write_history(services, make_provider, revisions=3)
    head = services.runner.head()
    crashing = _runner(services, [CrashingCatalog(crash_on=1), HistoryProjection()])
    caplog.set_level("INFO", logger="projections.runner")

    with pytest.raises(Crash):
        crashing.catch_up()
    first = client.get("/health").get_json()
    with pytest.raises(Crash):
        _runner(services, [CrashingCatalog(crash_on=1), HistoryProjection()]).catch_up()
    again = client.get("/health").get_json()

    assert first["status"] == "degraded"
    failing = {name: p["failing"] for name, p in first["projections"].items() if p["failing"]}
    assert set(failing) == {"catalog"}  # the history, in the same batch, applied it alone
    assert first["projections"]["history"]["position"] == head
    assert failing["catalog"]["error"] == "Crash"  # the kind only: the message stays in the log
    assert "crashed" not in str(first)
    assert first["projections"]["catalog"]["position"] == 0
    assert again["projections"]["catalog"]["failing"]["since"] == failing["catalog"]["since"]
    told = [
        (r.levelname, r.getMessage(), r.exc_info is not None)
        for r in caplog.records
        if r.name == "projections.runner"
    ]
    assert told == [  # the traceback once; each later try, one line
        ("ERROR", "projection catalog could not apply the events after log position 0", True),
        (
            "WARNING",
            "projection catalog still cannot apply the events after log position 0 (Crash)",
            False,
        ),
    ]
    cli = app.test_cli_runner().invoke(args=["projections", "status"]).output
    assert "catalog: position 0, lag" in cli and "FAILING since" in cli and "(Crash;" in cli

    services.runner.catch_up()
    mended = client.get("/health").get_json()
    assert mended["status"] == "ok"
    assert all(
        p["failing"] is None and p["position"] == head for p in mended["projections"].values()
    )


def test_waiting_for_a_read_model_that_cannot_apply_an_event_gives_up_at_once_naming_it(
    services: Any, make_provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_history(services, make_provider, revisions=1)
    head = services.runner.head()
    with pytest.raises(Crash):
        _runner(services, [CrashingCatalog(crash_on=1), HistoryProjection()]).catch_up()

    def no_waiting(seconds: float) -> None:
        raise AssertionError(f"waited {seconds} s for a read model that cannot move")

    monkeypatch.setattr("projections.runner.time.sleep", no_waiting)
    for catch_up in (False, True):
        with pytest.raises(Failing) as failing:
            services.runner.wait_for(head, timeout=600, catch_up=catch_up)
        assert (failing.value.names, failing.value.position) == (["catalog"], head)
    assert services.runner.wait_for(head, timeout=600, catch_up=False, names=["history"])
    assert services.runner.positions()["catalog"] == 0


def test_a_reset_forgets_a_failure(services: Any, make_provider: Any) -> None:
    _write_history(services, make_provider, revisions=1)
    with pytest.raises(Crash):
        _runner(services, [CrashingCatalog(crash_on=1)]).catch_up()
    assert services.runner.status()["catalog"]["failing"] is not None

    services.runner.reset(["catalog"])

    assert services.runner.status()["catalog"] == {"position": 0, "failing": None}


def test_a_worker_tries_a_failing_read_model_again_less_and_less_often_while_the_rest_go_on(
    services: Any, make_provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _write_history(services, make_provider, revisions=2)
    tried: list[float] = []
    now = [0.0]

    class Counted(CrashingCatalog):
        def prepare(self, snapshot: Any, items: list[tuple[int, Any]]) -> Any:
            tried.append(now[0])
            return super().prepare(snapshot, items)

    runner = _runner(services, [Counted(crash_on=1), HistoryProjection()])
    chores: list[float] = []
    cycles = [0]

    def stopping() -> bool:
        cycles[0] += 1
        if cycles[0] == 3:  # an event written while the catalog is failing
            _write_history(services, make_provider, revisions=0)
        return now[0] >= 100

    def wait(seconds: float) -> None:
        now[0] += seconds

    caplog.set_level("INFO", logger="projections.runner")
    runner.run_forever(
        0.5, stopping, every_minute=lambda: chores.append(now[0]), wait=wait, clock=lambda: now[0]
    )

    assert cycles[0] > 150  # a cycle every half second of the clock
    # at 0 in the batch it shared with the history, then alone; again after 1 s, then doubling
    assert tried == [0.0, 0.0, 1.0, 3.0, 7.0, 15.0, 31.0, 63.0]
    assert runner.positions() == {"catalog": 0, "history": services.runner.head()}
    assert chores == [0.0, 60.0]  # the scheduled work runs although a read model fails
    lines = [r.getMessage() for r in caplog.records if r.name == "projections.runner"]
    assert len(lines) == 7  # one line a try: the first with its traceback
    assert not any("worker cycle failed" in line for line in lines)


def test_a_catch_up_told_to_stop_ends_after_the_batch_in_hand_and_the_next_resumes_there(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    head = services.runner.head()
    runner = _runner(services, [HistoryProjection()], batch_size=5)
    runner.reset(["history"])
    asked: list[int] = []

    def stopping() -> bool:  # a SIGTERM arriving during the second batch
        asked.append(runner.positions()["history"])
        return len(asked) == 2

    assert runner.catch_up(stopping=stopping) == 10
    tenth = services.app.recorder.select_notifications(start=1, limit=10)[-1].id
    assert runner.positions()["history"] == tenth and asked[-1] == tenth
    runner.catch_up()
    assert history_rows(services.engines.reader) == public_events_in_log(services, head)


def test_a_worker_logs_when_a_failing_read_model_applies_events_again(
    services: Any, make_provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _write_history(services, make_provider, revisions=2)
    now = [0.0]

    class FailsTwice(CatalogProjection):
        tries = 0

        def prepare(self, snapshot: Any, items: list[tuple[int, Any]]) -> Any:
            self.tries += 1
            if self.tries <= 2:
                raise RuntimeError("a bad moment")
            return super().prepare(snapshot, items)

    runner = _runner(services, [FailsTwice()])
    caplog.set_level("INFO", logger="projections.runner")

    def wait(seconds: float) -> None:
        now[0] += seconds

    runner.run_forever(0.5, lambda: now[0] >= 5, wait=wait, clock=lambda: now[0])

    lines = [r.getMessage() for r in caplog.records if r.name == "projections.runner"]
    assert lines[-1] == "projection catalog applies events again"
    assert sum("could not apply" in line or "still cannot" in line for line in lines) == 2
    assert runner.positions()["catalog"] == services.runner.head()


def test_a_worker_told_to_stop_during_a_long_catch_up_stops_between_two_batches(
    services: Any, make_provider: Any
) -> None:
    _write_history(services, make_provider, revisions=12)
    runner = _runner(services, [HistoryProjection()], batch_size=5)
    runner.reset(["history"])
    asked = [0]

    def stopping() -> bool:  # false as the worker starts, true from the first batch on
        asked[0] += 1
        return asked[0] > 1

    runner.run_forever(0.5, stopping, wait=lambda _: None)

    assert 0 < runner.positions()["history"] < services.runner.head()
