"""Helpers to compare read models: every row of every projection table, in a stable order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from projections.tables import SEARCH_FIELDS, metadata, projection_positions


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
