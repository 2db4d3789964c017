"""The outcomes read model: one row per outcome report, as last revised.

Everything a row needs is in the report's own events (the contract's provider and offerings, the
district's seats, locale and attendance as they stood when it reported), so this projection reads
no other read model and rebuilds on its own. Rural and small status derive here by the same rule
as the district's (``marketplace.domain.districts``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, update

from events.outcomes import OutcomeReported, OutcomeReportRevised
from events.plain import to_plain
from marketplace.domain.districts import RURAL_LOCALES, SMALL_ADA_LIMIT
from projections.procurement import utc
from projections.runner import Handler, Projection
from projections.tables import outcome_reports


def implementation(seats: int, students_served: int, usage: Any) -> dict[str, Any]:
    """The ``implementation`` document: seats bought, students served, and usage if reported."""
    return {"seats": seats, "students_served": students_served, "usage": to_plain(usage)}


def _results(results: Any) -> list[dict[str, Any]]:
    return [to_plain(result) for result in results]


class OutcomesProjection(Projection):
    name = "outcomes"
    tables = (outcome_reports,)

    def handlers(self) -> dict[type, Handler]:
        return {
            OutcomeReported: self._reported,
            OutcomeReportRevised: self._revised,
        }

    @staticmethod
    def _reported(conn: Connection, event: OutcomeReported, _: int) -> None:
        conn.execute(
            insert(outcome_reports).values(
                id=event.originator_id,
                contract_id=event.contract_id,
                district_id=event.district_id,
                provider_id=event.provider_id,
                offering_ids=[str(o) for o in event.offering_ids],
                school_year=event.school_year,
                rural=event.district_locale_code in RURAL_LOCALES,
                small=event.district_average_daily_attendance < SMALL_ADA_LIMIT,
                students_served=event.students_served,
                implementation=implementation(event.seats, event.students_served, event.usage),
                results=_results(event.results),
                satisfaction=event.satisfaction,
                renewing=event.renewing,
                reported_at=utc(event.timestamp),
                version=event.originator_version,
            )
        )

    @staticmethod
    def _revised(conn: Connection, event: OutcomeReportRevised, _: int) -> None:
        changes = event.changes
        values: dict[str, Any] = {"version": event.originator_version}
        if "offering_ids" in changes:
            values["offering_ids"] = [str(o) for o in changes["offering_ids"]]
        if "results" in changes:
            values["results"] = _results(changes["results"])
        for name in ("students_served", "satisfaction", "renewing"):
            if name in changes:
                values[name] = changes[name]
        if "students_served" in changes or "usage" in changes:
            row = conn.execute(
                outcome_reports.select().where(outcome_reports.c.id == event.originator_id)
            ).one()
            current = dict(row.implementation)
            values["implementation"] = implementation(
                current["seats"],
                changes.get("students_served", current["students_served"]),
                changes["usage"] if "usage" in changes else current["usage"],
            )
        conn.execute(
            update(outcome_reports).where(outcome_reports.c.id == event.originator_id).values(**values)
        )
