"""Outcome reports: a party district's report, per school year, on a contract it used.

The report carries the facts its report card needs from other aggregates as they stood when it
was made (the contract's provider, offerings and the district's seats; the district's locale and
attendance, from which rural and small status derive), so a read model rebuilds from these events
alone, and a later change elsewhere does not rewrite what a year's card said.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from events.base import MarketplaceCreated, MarketplaceEvent
from events.types import ReportedResult, Usage


class OutcomeReported(MarketplaceCreated):
    TOPIC = "marketplace.OutcomeReport.Reported"
    contract_id: UUID
    district_id: UUID
    school_year: str
    provider_id: UUID
    offering_ids: tuple[UUID, ...]
    seats: int
    district_locale_code: int
    district_average_daily_attendance: int
    students_served: int
    usage: Usage | None
    results: tuple[ReportedResult, ...]
    satisfaction: int | None
    renewing: bool


class OutcomeReportRevised(MarketplaceEvent):
    """A correction: ``changes`` maps each revised field (named as in ``OutcomeReported``) to its
    new value; the earlier values stay in the log."""

    TOPIC = "marketplace.OutcomeReport.Revised"
    changes: dict[str, Any]
    reason: str
