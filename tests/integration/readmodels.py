"""Helpers to compare read models: every row of every projection table, in a stable order; and
the counts that show each public event recorded once in the history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from projections.history import HistoryProjection
from projections.tables import SEARCH_FIELDS, event_history, metadata, projection_positions


def snapshot(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table is projection_positions:
                continue
            rows = connection.execute(select(table)).all()
            tables[table.name] = sorted((tuple(repr(v) for v in row) for row in rows))
        if connection.dialect.name == "sqlite":
            for field in SEARCH_FIELDS:
                rows = connection.execute(text(f"SELECT rowid, {field} FROM offering_text_{field}")).all()
                tables[f"offering_text_{field}"] = sorted(tuple(repr(v) for v in row) for row in rows)
    return tables


def history_rows(engine: Any) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(event_history)).scalar_one()


def public_events_in_log(services: Any, up_to: int) -> int:
    """How many events up to position ``up_to`` the public history records."""
    topics = HistoryProjection().topics()
    notifications = services.app.recorder.select_notifications(1, up_to + 1)
    return sum(1 for n in notifications if n.id <= up_to and n.topic in topics)
