"""Outcome reports by party districts, and the annual report cards built from them.

A single report is read from the event store (always current, readable as of an earlier time,
with its corrections listed); report cards are computed from the read models.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

import events
from events.outcomes import OutcomeReportRevised
from events.plain import iso_utc, to_plain
from marketplace.domain.errors import NotFound
from marketplace.domain.outcomes import OutcomeReport, SchoolYear
from marketplace.web.auth import require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command, etag, expected_version, version_as_of
from marketplace.web.reads import reads
from marketplace.web.schemas.common import AsOfArgsSchema
from marketplace.web.schemas.outcomes import (
    OfferingReportCardArgsSchema,
    OfferingReportCardSchema,
    OutcomeReportInSchema,
    OutcomeReportPatchSchema,
    OutcomeReportSchema,
    ReportCardArgsSchema,
    ReportCardPageSchema,
)
from marketplace.web.services import marketplace, services
from projections import outcomes_queries

blp = Blueprint(
    "outcomes",
    __name__,
    url_prefix="/api/v1",
    description="Outcome reports by districts, and the annual report cards built from them",
)


def outcome_report_view(report: OutcomeReport) -> dict[str, Any]:
    revisions = [
        {
            "version": event.originator_version,
            "at": iso_utc(event.timestamp),
            "actor": event.actor,
            "reason": event.reason,
            "fields": sorted(event.changes),
        }
        for event in marketplace().events.get(report.id, lte=report.version)
        if isinstance(event, OutcomeReportRevised)
    ]
    return {
        "id": str(report.id),
        "contract_id": str(report.contract_id),
        "district_id": str(report.district_id),
        "provider_id": str(report.provider_id),
        "offering_ids": [str(o) for o in report.offering_ids],
        "school_year": report.school_year,
        "rural": report.rural,
        "small": report.small,
        "seats": report.seats,
        "students_served": report.students_served,
        "usage": to_plain(report.usage),
        "results": to_plain(list(report.results)),
        "satisfaction": report.satisfaction,
        "renewing": report.renewing,
        "reported_at": iso_utc(report.reported_at),
        "updated_at": iso_utc(report.modified_on),
        "version": report.version,
        "revisions": revisions,
    }


def _respond(report: OutcomeReport) -> tuple[dict[str, Any], dict[str, str]]:
    return outcome_report_view(report), etag(report.version)


@blp.route("/contracts/<uuid:contract_id>/outcome-reports")
class OutcomeReports(MethodView):
    @blp.arguments(OutcomeReportInSchema)
    @blp.response(201, OutcomeReportSchema)
    @command(201, render=outcome_report_view)
    def post(self, data: dict[str, Any], contract_id: UUID) -> Any:
        """A party district reports a school year on the contract (that district's buyer): once
        per year; a correction is a revision of that report."""
        district_id, school_year = data.pop("district_id"), data.pop("school_year")
        report = marketplace().report_outcome(require_account(), contract_id, district_id, school_year, data)
        return _respond(report)


@blp.route("/outcome-reports/<uuid:report_id>")
class OutcomeReportById(MethodView):
    @blp.arguments(AsOfArgsSchema, location="query")
    @blp.response(200, OutcomeReportSchema)
    @reads()
    def get(self, args: dict[str, Any], report_id: UUID) -> Any:
        """An outcome report with its corrections; with ``as_of``, as it stood then."""
        version = version_as_of(report_id, args["as_of"], "outcome report")
        return _respond(marketplace().get_outcome_report(report_id, version))

    @blp.arguments(OutcomeReportPatchSchema)
    @blp.response(200, OutcomeReportSchema)
    @command(200, render=outcome_report_view)
    def patch(self, data: dict[str, Any], report_id: UUID) -> Any:
        """Correct a report (the reporting district's buyer), with a reason; ``If-Match`` guards
        against overwriting a correction you have not seen."""
        reason = data.pop("reason")
        report = marketplace().revise_outcome_report(
            require_account(), report_id, data, reason, expected_version()
        )
        return _respond(report)


@blp.route("/report-cards")
class ReportCards(MethodView):
    @blp.arguments(ReportCardArgsSchema, location="query")
    @blp.response(200, ReportCardPageSchema)
    @reads("outcomes", "catalog", "procurement")  # outcomes_queries
    def get(self, args: dict[str, Any]) -> Any:
        """Annual report cards: one per offering and school year with outcome reports, newest
        year first. Small counts are shown with their n and flagged, never hidden."""
        year = _year(args["year"])
        with services().engines.reader.connect() as conn:
            return outcomes_queries.report_cards(
                conn, year, args["page"], args["per_page"], events.now().date()
            )


@blp.route("/offerings/<uuid:offering_id>/report-card")
class OfferingReportCard(MethodView):
    @blp.arguments(OfferingReportCardArgsSchema, location="query")
    @blp.response(200, OfferingReportCardSchema)
    @reads("outcomes", "catalog", "procurement")  # outcomes_queries
    def get(self, args: dict[str, Any], offering_id: UUID) -> Any:
        """The offering's report card for a school year; with no reports, a card with n = 0."""
        with services().engines.reader.connect() as conn:
            card = outcomes_queries.report_card(
                conn, offering_id, _year(args["year"]), events.now().date()
            )
        if card is None:
            raise NotFound(f"offering {offering_id} not found")
        return card


def _year(value: str | None) -> str | None:
    return None if value is None else SchoolYear.parse(value, "year").label
