"""Catching read models up with the event log, exactly once.

Each projection has a tracked position (the id of the last notification it has applied). A batch
reads notifications after that position, applies the ones the projection handles, and moves the
position forward in the same transaction as the read-model rows. The position row is locked and
compared before it moves, so two workers (or a web request catching up for read-your-writes)
never apply an event twice: the loser finds the position moved, rolls back, and carries on from
the new position. A crash mid-batch rolls back the whole batch; the next run starts from the last
committed position.

A batch works in two steps. ``prepare`` reads what it needs from a consistent snapshot taken at
the batch's start position and does the batch's computing, outside any write transaction;
``write`` then only writes, inside the transaction that checks and moves the position. On SQLite,
where one writer at a time holds the whole file, this keeps the lock (which every command's save
also needs) for the writing alone. If the position moved in between, the prepared work is
dropped: the snapshot it came from is no longer the read model's state.
"""

from __future__ import annotations

import gc
import logging
import time
from abc import ABC, abstractmethod
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence

from eventsourcing.persistence import OperationalError as StoreUnavailable
from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from events.plain import shared_plain_forms
from projections.db import Engines, empty_tables
from projections.tables import projection_positions

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Any, int], None]
Write = Callable[[Connection], None]  # a write worked out ahead, run inside the batch's transaction


class Projection(ABC):
    """A read model: the tables it owns and a handler per event class it cares about."""

    name: str
    tables: tuple[Table, ...] = ()
    other_tables: tuple[str, ...] = ()
    """Tables it owns that the migrations make differently for each database (no ``Table``)."""

    @classmethod
    def table_names(cls) -> tuple[str, ...]:
        return (*(table.name for table in cls.tables), *cls.other_tables)

    @abstractmethod
    def handlers(self) -> dict[type, Handler]: ...

    def topics(self) -> frozenset[str]:
        return frozenset(cls.TOPIC for cls in self.handlers())

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self._handlers_by_type().get(type(event))
        if handler is not None:
            handler(conn, event, position)

    def apply_batch(self, conn: Connection, items: list[tuple[int, Any]]) -> None:
        """Apply a batch of (position, event), in log order, inside the batch's transaction.
        Override to write each table once per batch (executemany) instead of once per event."""
        for position, event in items:
            self.apply(conn, event, position)

    def prepare(self, snapshot: Connection, items: list[tuple[int, Any]]) -> Any:
        """Work out a batch before its write transaction, reading (only) from ``snapshot``: the
        read models as of the batch's start. Returns what ``write`` needs. By default nothing is
        done ahead: ``write`` applies the items."""
        return items

    def write(self, conn: Connection, prepared: Any) -> None:
        """Write what ``prepare`` worked out, inside the batch's transaction."""
        self.apply_batch(conn, prepared)

    def _handlers_by_type(self) -> dict[type, Handler]:
        cached = self.__dict__.get("_cached_handlers")
        if cached is None:
            cached = self.handlers()
            self.__dict__["_cached_handlers"] = cached
        return cached

    def reset(self, conn: Connection) -> None:
        """Delete every row this projection owns (children first)."""
        empty_tables(conn, [table.name for table in reversed(self.tables)])


class WritingProjection(Projection):
    """A projection whose ``prepare`` returns its batch's writes, ready to run (``projections.bulk``):
    ``write`` only runs them."""

    @abstractmethod
    def prepare(self, snapshot: Connection, items: list[tuple[int, Any]]) -> list[Write]: ...

    def write(self, conn: Connection, prepared: list[Write]) -> None:
        for write in prepared:
            write(conn)

    def apply_batch(self, conn: Connection, items: list[tuple[int, Any]]) -> None:
        self.write(conn, self.prepare(conn, items))

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        """One event, as a batch of one: the handlers serve ``prepare``, not a write per event."""
        self.apply_batch(conn, [(position, event)])


RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
"""How soon a worker tries again a read model that could not apply an event: after a second,
then twice as long each time, up to this."""


class Failing(Exception):
    """Read models a caller waits for cannot apply an event before the position it needs."""

    def __init__(self, names: list[str], position: int):
        super().__init__(f"{', '.join(names)} cannot apply the events before position {position}")
        self.names = names
        self.position = position


class PositionMoved(Exception):
    """Another worker advanced the position first; this batch was rolled back and is not needed."""


@contextmanager
def _collector_spared() -> Iterator[None]:
    """For a long catch-up, the objects that exist before it are left out of the cyclic garbage
    collector's passes until it ends (``gc.freeze``): each batch holds its events and rows alive
    while it runs, which sets off full collections, and each full collection would otherwise go
    through every object of the process (the application, its caches) to find none of them
    garbage. Memory is still freed as objects are let go; only cycles among those older objects
    wait for the end. Nothing is done if something else has frozen objects (another thread's long
    catch-up, or the process itself), so that their unfreezing stays theirs."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class ProjectionRunner:
    def __init__(
        self,
        app: Any,
        engines: Engines,
        projections: Sequence[Projection],
        batch_size: int = 1000,
    ):
        self.app = app
        self.engines = engines
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size
        self._rows_ensured = False

    # Reading positions -----------------------------------------------------------------------

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def positions(self) -> dict[str, int]:
        self._ensure_rows()
        with self.engines.reader.connect() as conn:
            rows = conn.execute(select(projection_positions.c.name, projection_positions.c.position))
            found = {name: int(position) for name, position in rows}
        return {name: found.get(name, 0) for name in self.projections}

    # Catching up -----------------------------------------------------------------------------

    def catch_up(
        self,
        until: int | None = None,
        names: Iterable[str] | None = None,
        progress: Callable[[int], None] | None = None,
        deadline: float | None = None,
        stopping: Callable[[], bool] | None = None,
    ) -> int:
        """Apply every event up to ``until`` (default: the head now); returns notifications read.
        With ``deadline`` (a ``time.monotonic()`` moment) it stops after the first batch that ends
        past it, caught up or not; with ``stopping``, after the first batch that ends with it
        true (a worker told to stop, during a long catch-up: each batch is whole, so it stops
        between two). ``progress`` is told how far the slowest of them (still
        going) has moved, in log positions, so that it adds up to the stretch of the log applied
        however often a stretch is read.

        Read models at one position share a batch. If the batch fails (not the database busy or
        away: an event one of them cannot apply), each goes on alone, so that only the one that
        cannot apply it stops there, marked failing (``status``); the others catch up, then the
        error is raised. Every later catch-up tries the failing one's batch again."""
        selected = [self.projections[n] for n in (self.projections if names is None else names)]
        target = self.head() if until is None else until
        with ExitStack() as long_run:
            return self._catch_up(selected, target, progress, deadline, stopping, long_run)

    def _catch_up(
        self,
        selected: list[Projection],
        target: int,
        progress: Callable[[int], None] | None,
        deadline: float | None,
        stopping: Callable[[], bool] | None,
        long_run: ExitStack,
    ) -> int:
        read = 0
        alone = False
        failed: list[Exception] = []
        stopped: set[str] = set()
        told: int | None = None  # the slowest one's position last told to ``progress``
        spared = False

        def tell(positions: dict[str, int]) -> None:
            nonlocal told
            going = [positions[p.name] for p in selected if p.name not in stopped]
            if progress is None or not going:
                return
            if told is not None and min(going) > told:
                progress(min(going) - told)
            told = min(going) if told is None else max(told, min(going))

        while True:
            positions = self.positions()
            tell(positions)
            behind = [p for p in selected if positions[p.name] < target and p.name not in stopped]
            if not behind:
                if failed:
                    raise failed[0]
                return read
            lowest = min(positions[p.name] for p in behind)
            if target - lowest > self.batch_size and not spared:
                long_run.enter_context(_collector_spared())  # more than a batch to go
                spared = True
            group = [p for p in behind if positions[p.name] == lowest][: 1 if alone else None]
            try:
                count = self._run_batch(group, lowest)
            except PositionMoved:
                continue
            except (OperationalError, StoreUnavailable):
                raise  # the database busy or away: the caller waits and tries again
            except Exception as error:
                if len(group) > 1:
                    alone = True  # which of them cannot apply it? each tries alone
                    continue
                self._report_failure(group[0], lowest, error)
                failed.append(error)
                stopped.add(group[0].name)
                continue
            if count == 0:
                return read  # nothing more in the log (target beyond the head)
            read += count
            stop = stopping is not None and stopping()
            if stop or (deadline is not None and time.monotonic() >= deadline):
                if progress is not None:
                    tell(self.positions())
                return read

    def _run_batch(self, group: list[Projection], start: int) -> int:
        notifications = self.app.recorder.select_notifications(
            start=start + 1, limit=self.batch_size
        )
        if not notifications:
            return 0
        wanted = {p.name: p.topics() for p in group}
        topics = frozenset().union(*wanted.values())
        decoded = [
            (n.id, n.topic, self.app.mapper.to_domain_event(n))
            for n in notifications
            if n.topic in topics
        ]
        last = notifications[-1].id
        batches = [
            (p, [(position, event) for position, topic, event in decoded if topic in wanted[p.name]])
            for p in group
        ]
        with shared_plain_forms():
            with self._snapshot() as snapshot:
                self._check_positions(snapshot, group, start, lock=False)
                prepared = [(p, p.prepare(snapshot, items)) for p, items in batches if items]
            with self.engines.writer.begin() as conn:
                self._check_positions(conn, group, start, lock=True)
                for projection, work in prepared:
                    projection.write(conn, work)
                moved = conn.execute(
                    update(projection_positions)
                    .where(projection_positions.c.name.in_([p.name for p in group]))
                    .where(projection_positions.c.position == start)
                    .values(
                        position=last,
                        updated_at=datetime.now(tz=timezone.utc),
                        failing_since=None,
                        failure=None,
                    )
                )
                if moved.rowcount != len(group):
                    raise PositionMoved(", ".join(p.name for p in group))
        return len(notifications)

    def _report_failure(self, projection: Projection, position: int, error: Exception) -> None:
        """Called while handling ``error``: mark the read model failing at ``position`` and log
        it, with the traceback the first time only (a worker tries again every cycle)."""
        if self._record_failure(projection, position, error):
            log.exception(
                "projection %s could not apply the events after log position %d",
                projection.name, position,
            )
        else:
            log.warning(
                "projection %s still cannot apply the events after log position %d (%s)",
                projection.name, position, type(error).__name__,
            )

    def _record_failure(self, projection: Projection, position: int, error: Exception) -> bool:
        """Mark the row failing at ``position`` (since the first failure there), with the kind
        of error only: its message may quote what a caller may not see. True when it was not
        failing there yet (or the mark could not be written)."""
        row = projection_positions.c
        kind = type(error).__name__[:200]
        try:
            with self.engines.writer.begin() as conn:
                at = update(projection_positions).where(
                    row.name == projection.name, row.position == position
                )
                first = conn.execute(
                    at.where(row.failing_since.is_(None)).values(
                        failing_since=datetime.now(tz=timezone.utc), failure=kind
                    )
                ).rowcount
                if not first:
                    conn.execute(at.values(failure=kind))
            return bool(first)
        except Exception:  # noqa: BLE001 - the caller logs the failure itself
            return True

    def status(self) -> dict[str, dict[str, Any]]:
        """Each projection's position and, if a batch after it could not be applied, since
        when and the kind of error."""
        self._ensure_rows()
        columns = projection_positions.c
        with self.engines.reader.connect() as conn:
            query = select(columns.name, columns.position, columns.failing_since, columns.failure)
            found = {row.name: row for row in conn.execute(query)}
        status: dict[str, dict[str, Any]] = {}
        for name in self.projections:
            row = found.get(name)
            failing = None
            if row is not None and row.failing_since is not None:
                since = row.failing_since  # SQLite keeps no zone: what it holds is UTC
                since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
                failing = {"since": since, "error": row.failure}
            position = int(row.position) if row is not None else 0
            status[name] = {"position": position, "failing": failing}
        return status

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one state throughout (PostgreSQL: repeatable read;
        SQLite: a WAL read transaction is one snapshot)."""
        with self.engines.reader.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @staticmethod
    def _check_positions(conn: Connection, group: list[Projection], start: int, lock: bool) -> None:
        """Every projection of the group still at ``start``; with ``lock``, their rows locked, in
        name order, as every worker locks them. One query for the whole group: a batch of a few
        events (a read catching up after a write) would otherwise pay a query per read model."""
        query = (
            select(projection_positions.c.name, projection_positions.c.position)
            .where(projection_positions.c.name.in_([p.name for p in group]))
            .order_by(projection_positions.c.name)
        )
        current = dict(conn.execute(query.with_for_update() if lock else query).all())
        for projection in group:
            if current.get(projection.name) != start:
                raise PositionMoved(projection.name)

    def wait_for(
        self, position: int, timeout: float, catch_up: bool, names: Iterable[str] | None = None
    ) -> bool:
        """Block until the named projections (default: all) have applied ``position``; True
        when they have, False when ``timeout`` seconds pass first. With ``catch_up`` this thread
        applies the events itself, a batch at a time until the timeout: a read model far behind
        (being rebuilt) costs the caller ``timeout`` and a batch, not the whole rebuild.

        Raises ``Failing`` at once when one of those still short of ``position`` cannot apply
        an event (``status``): the worker tries it again, less and less often, so waiting would
        only hold the caller, and trying its batch here would only fail again."""
        selected = list(names) if names is not None else list(self.projections)
        deadline = time.monotonic() + timeout
        tried = False
        while True:
            status = self.status()
            lagging = [name for name in selected if status[name]["position"] < position]
            if not lagging:
                return True
            failing = [name for name in lagging if status[name]["failing"]]
            if failing:
                raise Failing(failing, position)
            if tried and time.monotonic() >= deadline:
                return False
            tried = True
            if catch_up:
                try:
                    self.catch_up(until=position, names=lagging, deadline=deadline)
                    continue
                except OperationalError:  # busy database: fall back to waiting for the worker
                    log.warning("catch-up on read failed; waiting for the projection worker")
                except StoreUnavailable:
                    raise  # the event store away: the caller answers so
                except Exception:  # noqa: BLE001 - logged and marked failing by catch_up
                    catch_up = False  # the worker's to retry; the next look raises Failing
                    continue
            time.sleep(0.02)

    # Rebuilding ------------------------------------------------------------------------------

    def reset(self, names: Iterable[str]) -> None:
        """Empty the named projections and set their positions to zero, in one transaction."""
        self._ensure_rows()
        with self.engines.writer.begin() as conn:
            for name in names:
                projection = self.projections[name]
                conn.execute(
                    select(projection_positions.c.position)
                    .where(projection_positions.c.name == name)
                    .with_for_update()
                )
                projection.reset(conn)
                conn.execute(
                    update(projection_positions)
                    .where(projection_positions.c.name == name)
                    .values(
                        position=0,
                        updated_at=datetime.now(tz=timezone.utc),
                        failing_since=None,
                        failure=None,
                    )
                )

    def rebuild(
        self,
        names: Iterable[str] | None = None,
        progress: Callable[[int], None] | None = None,
        patience: float = 0.0,
        waiting: Callable[[OperationalError], None] | None = None,
    ) -> int:
        """Empty the named projections (default: all) and replay the log into them; returns the
        log position the slowest of them reached (``progress`` is told each step towards it).
        With ``patience`` (seconds), a step that finds SQLite's write lock held past its busy
        timeout (another rebuild's reset of a large read model can hold it longer) is tried again
        until then, telling ``waiting``; a batch is all or nothing, so trying again applies
        nothing twice."""
        selected = list(names or self.projections)
        deadline = time.monotonic() + patience
        reached = 0

        def counted(count: int) -> None:
            nonlocal reached
            reached += count
            if progress is not None:
                progress(count)

        for step in (lambda: self.reset(selected), lambda: self.catch_up(names=selected, progress=counted)):
            while True:
                try:
                    step()
                    break
                except OperationalError as error:
                    if "database is locked" not in str(error) or time.monotonic() >= deadline:
                        raise
                    if waiting is not None:
                        waiting(error)
        return reached

    def run_forever(
        self,
        poll_seconds: float,
        stopping: Callable[[], bool],
        every_minute: Callable[[], Any] | None = None,
        wait: Callable[[float], None] = time.sleep,
        names: Iterable[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Catch up the named projections (default: all) until ``stopping()``, waiting with
        ``wait`` (a LISTEN on PostgreSQL, a sleep on SQLite) when idle; survives database
        hiccups. Runs ``every_minute`` (the scheduler) about once a minute, and at start,
        whatever the catch-up did.

        A read model that cannot apply an event (``status``: failing) is tried again after a
        second, then after twice as long each time, up to a minute, while the others go on:
        an operator's log gets a line a minute, not one a cycle."""
        selected = list(names) if names is not None else list(self.projections)
        next_chore = 0.0
        retry: dict[str, tuple[float, float]] = {}  # failing read model: (when, after how long)
        while not stopping():
            due = [name for name in selected if name not in retry or retry[name][0] <= clock()]
            applied = 0
            try:
                applied = self.catch_up(names=due, stopping=stopping)
            except Exception as error:  # noqa: BLE001 - a worker must outlive a bad moment
                failing = self._failing_among(due)
                if not failing:
                    log.warning("projection worker cycle failed, retrying: %r", error)
                for name in failing:
                    after = min(2 * retry[name][1], RETRY_MAX_S) if name in retry else RETRY_FIRST_S
                    retry[name] = (clock() + after, after)
            else:
                for name in due:
                    if retry.pop(name, None) is not None:
                        log.info("projection %s applies events again", name)
            if every_minute is not None and clock() >= next_chore:
                next_chore = clock() + 60
                try:
                    every_minute()
                except Exception as error:  # noqa: BLE001 - tried again in a minute
                    log.warning("scheduled work failed, retrying in a minute: %r", error)
            if applied == 0:
                wait(poll_seconds)

    def _failing_among(self, names: list[str]) -> list[str]:
        try:
            status = self.status()
        except Exception:  # noqa: BLE001 - the database away: nothing is known to be failing
            return []
        return [name for name in names if status[name]["failing"]]

    def _ensure_rows(self) -> None:
        if self._rows_ensured:
            return
        with self.engines.writer.begin() as conn:
            dialect = conn.dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            for name in self.projections:
                conn.execute(
                    insert(projection_positions)
                    .values(name=name, position=0)
                    .on_conflict_do_nothing(index_elements=["name"])
                )
        self._rows_ensured = True
