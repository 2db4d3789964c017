"""Writing many rows of one table in one driver call, with each value stored exactly as
SQLAlchemy would store it.

``conn.execute(insert(table), rows)`` spends most of its time building a parameter dict per row
and looking up each column's conversion on every row. Here a table's statement and its columns'
conversions (``TypeEngine.bind_processor`` for the dialect: JSON text, SQLite's date-time text,
UUID hex on SQLite) are worked out once per dialect, and the rows go to the driver's
``executemany`` as tuples. Projections use this for the tables a catch-up fills most.

A write is prepared (statement chosen, every value converted) before its transaction begins and
run inside it (``prepare_insert``, ``prepare_update``): a projection batch then holds the
database's write lock only while the driver writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

from projections.db import mark_of
from projections.runner import Write

Processor = Callable[[Any], Any] | None

_PLANS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], tuple[str, list[Processor]]] = {}


def _processors(dialect: Dialect, table: Table, names: Sequence[str]) -> list[Processor]:
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def _plan(
    dialect: Dialect, table: Table, names: tuple[str, ...], where: tuple[str, ...]
) -> tuple[str, list[Processor]]:
    """The statement (an UPDATE by ``where``; else an INSERT, or a COPY on PostgreSQL) and the
    columns' conversions, worked out once per dialect, table and columns."""
    key = (dialect.name, table.name, names, where)
    plan = _PLANS.get(key)
    if plan is None:
        quote = dialect.identifier_preparer.quote
        mark = mark_of(dialect)
        columns = ", ".join(quote(name) for name in names)
        if where:
            sets = ", ".join(f"{quote(name)} = {mark}" for name in names)
            condition = " AND ".join(f"{quote(name)} = {mark}" for name in where)
            sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {condition}"
        elif dialect.name == "postgresql":
            sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
        else:
            sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join([mark] * len(names))})"
        plan = (sql, _processors(dialect, table, (*names, *where)))
        _PLANS[key] = plan
    return plan


def _tuples(rows: Sequence[Mapping[str, Any]], names: tuple[str, ...], processors: list[Processor]) -> list[tuple[Any, ...]]:
    if all(process is None for process in processors):
        return [tuple(row[name] for name in names) for row in rows]
    columns = [[row[name] for row in rows] for name in names]
    converted = [
        column if process is None else [process(value) for value in column]
        for column, process in zip(columns, processors)
    ]
    return list(zip(*converted))


@dataclass(frozen=True)
class PreparedWrite:
    """A statement and its rows (or, with ``many=False``, its one set of parameters), every value
    already converted: call it with the connection (inside the transaction) to write."""

    sql: str
    values: Any
    copy: bool = False
    many: bool = True

    def __call__(self, conn: Connection) -> None:
        if self.copy:
            copy_rows(conn, self.sql, self.values)
        elif self.many:
            conn.exec_driver_sql(self.sql, self.values)
        else:
            conn.exec_driver_sql(self.sql, tuple(self.values))


def _nothing(_: Connection) -> None:
    return None


def prepare_insert(dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]) -> Write:
    """The insert of ``rows`` (each a mapping with the same keys: column names) into ``table``,
    ready to run: one ``executemany`` on SQLite, one ``COPY ... FROM STDIN`` on PostgreSQL (a
    statement per row, even pipelined, costs PostgreSQL far more than the rows themselves)."""
    if not rows:
        return _nothing
    names = tuple(rows[0])
    sql, processors = _plan(dialect, table, names, ())
    return PreparedWrite(sql, _tuples(rows, names, processors), copy=dialect.name == "postgresql")


def prepare_update(
    dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]], key: Sequence[str]
) -> Write:
    """The update of each row of ``table`` whose ``key`` columns equal the row's, setting its
    other values (each row a mapping with the same keys: column names), ready to run."""
    if not rows:
        return _nothing
    where = tuple(key)
    names = tuple(name for name in rows[0] if name not in where)
    sql, processors = _plan(dialect, table, names, where)
    return PreparedWrite(sql, _tuples(rows, (*names, *where), processors))


def copy_rows(conn: Connection, copy_sql: str, values: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` of ``values`` on the connection's own transaction."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(copy_sql) as copy:
            for row in values:
                copy.write_row(row)
    finally:
        cursor.close()

