"""Reading the award register for exports: rows streamed in a stable order, never all at once.

Rows come in the order awarded_at, contract_id, district_id (the register's index). The date
range is on the award's date, in UTC, both ends inclusive: ``date_from`` 2026-01-01 and
``date_to`` 2026-12-31 select awards made from 2026-01-01T00:00Z up to, not including,
2027-01-01T00:00Z.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from typing import Any, Iterator
from uuid import UUID

from sqlalchemy import Connection, Select, func, select

from projections.tables import award_register

YIELD_PER = 1000


@dataclass(frozen=True)
class AwardFilters:
    date_from: date | None = None
    date_to: date | None = None
    consortium_id: UUID | None = None
    district_id: UUID | None = None
    provider_id: UUID | None = None
    method: str | None = None

    @classmethod
    def of(cls, values: dict[str, Any]) -> AwardFilters:
        """From a dict that may hold other keys (parsed query arguments, CLI options)."""
        return cls(**{name: values.get(name) for name in cls.__dataclass_fields__})


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _filtered(query: Select[Any], filters: AwardFilters) -> Select[Any]:
    c = award_register.c
    if filters.date_from is not None:
        query = query.where(c.awarded_at >= _start_of(filters.date_from))
    if filters.date_to is not None and filters.date_to < date.max:  # no day after the last
        query = query.where(c.awarded_at < _start_of(filters.date_to + timedelta(days=1)))
    if filters.consortium_id is not None:
        query = query.where(c.consortium_id == filters.consortium_id)
    if filters.district_id is not None:
        query = query.where(c.district_id == filters.district_id)
    if filters.provider_id is not None:
        query = query.where(c.provider_id == filters.provider_id)
    if filters.method is not None:
        method = filters.method.value if isinstance(filters.method, Enum) else filters.method
        query = query.where(c.method == method)
    return query


def award_rows(conn: Connection, filters: AwardFilters | None = None) -> Iterator[Any]:
    """Every register row matching ``filters``, in a stable order, fetched ``YIELD_PER`` at a
    time (a server-side cursor on PostgreSQL): memory stays flat however many rows there are.

    The rows are SQLAlchemy ``Row`` objects with the ``award_register`` columns as attributes.
    The connection must stay open while the generator is consumed."""
    c = award_register.c
    query = _filtered(select(award_register), filters or AwardFilters()).order_by(
        c.awarded_at, c.contract_id, c.district_id
    )
    result = conn.execution_options(yield_per=YIELD_PER).execute(query)
    try:
        yield from result
    finally:
        result.close()


def count_award_rows(conn: Connection, filters: AwardFilters | None = None) -> int:
    """How many rows ``award_rows`` yields for the same filters (for a progress bar)."""
    query = _filtered(select(func.count()).select_from(award_register), filters or AwardFilters())
    return int(conn.execute(query).scalar_one())
