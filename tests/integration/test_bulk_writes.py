"""Rows written in one driver call are stored exactly as SQLAlchemy's own insert and update store
them, on SQLite and on PostgreSQL: the read models must not depend on which path wrote a row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

from sqlalchemy import Connection, insert, select, text

from projections.bulk import prepare_insert, prepare_update
from projections.tables import event_history


def _rows(count: int) -> list[dict[str, Any]]:
    moment = datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=timezone.utc)
    return [
        {
            "aggregate_id": uuid4(),
            "version": n + 1,
            "aggregate_type": "Offering",
            "event_type": "Revised",
            "occurred_at": moment + timedelta(seconds=n),
            "actor": "provider:ü",  # not ASCII
            "changes": {"summary": f"Summary {n}", "price": "10.50", "nested": [{"a": None}], "empty": None},
            "position": 10_000 + n,
        }
        for n in range(count)
    ]


def _stored(conn: Connection, ids: list[Any]) -> list[tuple[Any, ...]]:
    """The stored form, as the database holds it (text, so that nothing is converted back)."""
    columns = ", ".join(
        f"CAST({name} AS TEXT)" for name in ("aggregate_id", "occurred_at", "changes", "actor", "position")
    )
    found = []
    for aggregate_id in ids:
        key = aggregate_id.hex if conn.dialect.name == "sqlite" else str(aggregate_id)
        found.append(
            tuple(conn.execute(text(f"SELECT {columns} FROM event_history WHERE aggregate_id = :k"), {"k": key}).one())
        )
    return found


def test_inserted_rows_are_stored_as_sqlalchemy_stores_them(services: Any) -> None:
    ours, theirs = _rows(3), _rows(3)
    for mine, other in zip(ours, theirs):  # the same values, under other keys
        other.update({k: v for k, v in mine.items() if k != "aggregate_id"})
    dialect = services.engines.writer.dialect
    write = prepare_insert(dialect, event_history, ours)  # worked out before any transaction
    with services.engines.writer.begin() as conn:
        write(conn)
        conn.execute(insert(event_history), theirs)
    with services.engines.reader.connect() as conn:
        stored_ours = _stored(conn, [r["aggregate_id"] for r in ours])
        stored_theirs = _stored(conn, [r["aggregate_id"] for r in theirs])
        read_back = conn.execute(
            select(event_history).where(event_history.c.aggregate_id == ours[0]["aggregate_id"])
        ).one()

    assert [row[1:] for row in stored_ours] == [row[1:] for row in stored_theirs]
    assert read_back.changes == ours[0]["changes"]
    assert read_back.actor == "provider:ü"


def test_updated_rows_change_only_the_rows_named_by_their_key(services: Any) -> None:
    rows = _rows(3)
    dialect = services.engines.writer.dialect
    with services.engines.writer.begin() as conn:
        prepare_insert(dialect, event_history, rows)(conn)
        prepare_update(
            dialect,
            event_history,
            [{"aggregate_id": rows[1]["aggregate_id"], "version": 2, "actor": "operator", "changes": {"x": 1}}],
            key=("aggregate_id", "version"),
        )(conn)
    with services.engines.reader.connect() as conn:
        stored = {
            row.aggregate_id: row
            for row in conn.execute(select(event_history.c.aggregate_id, event_history.c.actor, event_history.c.changes))
        }

    assert stored[rows[1]["aggregate_id"]].actor == "operator"
    assert stored[rows[1]["aggregate_id"]].changes == {"x": 1}
    assert [stored[r["aggregate_id"]].actor for r in (rows[0], rows[2])] == ["provider:ü", "provider:ü"]


def test_writing_no_rows_writes_nothing_and_is_no_error(services: Any) -> None:
    dialect = services.engines.writer.dialect
    with services.engines.writer.begin() as conn:
        prepare_insert(dialect, event_history, [])(conn)
        prepare_update(dialect, event_history, [], key=("aggregate_id",))(conn)
    with services.engines.reader.connect() as conn:
        assert conn.execute(select(event_history)).first() is None


def test_a_whole_number_past_64_bits_in_a_json_column_is_written_and_read_back_exactly(
    services: Any,
) -> None:
    # The domain bounds every count it takes, so no event carries one; should one ever, the
    # read models' JSON encoder (orjson, which refuses it) hands it to the standard library's
    # rather than leave a read model unable to apply the event.
    ours, theirs = _rows(1), _rows(1)
    for row in (*ours, *theirs):
        row["changes"] = {"sessions": 10**25, "under": -(2**64)}
    write = prepare_insert(services.engines.writer.dialect, event_history, ours)
    with services.engines.writer.begin() as conn:
        write(conn)
        conn.execute(insert(event_history), theirs)
    with services.engines.reader.connect() as conn:
        for row in (*ours, *theirs):
            kept = conn.execute(
                select(event_history.c.changes).where(
                    event_history.c.aggregate_id == row["aggregate_id"]
                )
            ).scalar_one()
            assert kept == {"sessions": 10**25, "under": -(2**64)}
