from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

import events
from events.plain import to_plain
from marketplace.domain.errors import InvalidValue
from marketplace.domain.thresholds import thresholds_on
from marketplace.web.auth import current_account, require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command
from marketplace.web.procurement_views import consortium_view, district_view
from marketplace.web.reads import reads
from marketplace.web.schemas.common import PageArgsSchema, page_of
from marketplace.web.schemas.procurement import (
    ConsortiumArgsSchema,
    ConsortiumCreateSchema,
    ConsortiumSchema,
    ConsortiumSummarySchema,
    DistrictArgsSchema,
    DistrictCreateSchema,
    DistrictSchema,
    MemberSchema,
    PipelineItemSchema,
    ThresholdsArgsSchema,
    ThresholdsInSchema,
    ThresholdsSchema,
)
from marketplace.web.services import marketplace, services
from projections import procurement_queries as queries

blp = Blueprint(
    "districts",
    __name__,
    url_prefix="/api/v1",
    description="Districts, the consortia they form, and the purchase thresholds in force",
)


@blp.route("/districts")
class Districts(MethodView):
    @blp.arguments(DistrictCreateSchema)
    @blp.response(201, DistrictSchema)
    @command(201, render=district_view)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a district (admin, or a buyer who then acts for it)."""
        return district_view(marketplace().register_district(require_account(), **data))

    @blp.arguments(DistrictArgsSchema, location="query")
    @blp.response(200, page_of(DistrictSchema, "DistrictPage"))
    @reads("procurement")
    def get(self, args: dict[str, Any]) -> Any:
        """Districts, filtered by state and by derived rural and small status."""
        with services().engines.reader.connect() as conn:
            return queries.list_districts(
                conn, args["state"], args["rural"], args["small"], args["page"], args["per_page"]
            )


@blp.route("/districts/<uuid:district_id>")
class DistrictById(MethodView):
    @blp.response(200, DistrictSchema)
    @reads()
    def get(self, district_id: UUID) -> Any:
        return district_view(marketplace().get_district(district_id))


@blp.route("/consortia")
class Consortia(MethodView):
    @blp.arguments(ConsortiumCreateSchema)
    @blp.response(201, ConsortiumSchema)
    @command(201, render=consortium_view)
    def post(self, data: dict[str, Any]) -> Any:
        """Form a consortium (a buyer of the lead district); the lead is its first member."""
        consortium = marketplace().form_consortium(
            require_account(), data["name"], data["lead_district_id"], data["local_thresholds"]
        )
        return consortium_view(consortium)

    @blp.arguments(ConsortiumArgsSchema, location="query")
    @blp.response(200, page_of(ConsortiumSummarySchema, "ConsortiumPage"))
    @reads("procurement")
    def get(self, args: dict[str, Any]) -> Any:
        """Consortia, optionally those a district belongs to."""
        with services().engines.reader.connect() as conn:
            return queries.list_consortia(conn, args["district_id"], args["page"], args["per_page"])


@blp.route("/consortia/<uuid:consortium_id>")
class ConsortiumById(MethodView):
    @blp.response(200, ConsortiumSchema)
    @reads()
    def get(self, consortium_id: UUID) -> Any:
        """A consortium: members with their rural and small status, and totals."""
        return consortium_view(marketplace().get_consortium(consortium_id))


@blp.route("/consortia/<uuid:consortium_id>/members")
class ConsortiumMembers(MethodView):
    @blp.arguments(MemberSchema)
    @blp.response(200, ConsortiumSchema)
    @command(200, render=consortium_view)
    def post(self, data: dict[str, Any], consortium_id: UUID) -> Any:
        """A district joins (its own buyer, or the lead's buyer adds it)."""
        consortium = marketplace().add_consortium_member(
            require_account(), consortium_id, data["district_id"]
        )
        return consortium_view(consortium)


@blp.route("/consortia/<uuid:consortium_id>/members/<uuid:district_id>")
class ConsortiumMember(MethodView):
    @blp.response(200, ConsortiumSchema)
    @command(200, render=consortium_view)
    def delete(self, consortium_id: UUID, district_id: UUID) -> Any:
        """A district leaves (its own buyer, or the lead's buyer removes it)."""
        consortium = marketplace().remove_consortium_member(require_account(), consortium_id, district_id)
        return consortium_view(consortium)


@blp.route("/consortia/<uuid:consortium_id>/thresholds")
class ConsortiumThresholds(MethodView):
    @blp.arguments(ThresholdsInSchema)
    @blp.response(200, ConsortiumSchema)
    @command(200, render=consortium_view)
    def post(self, thresholds: Any, consortium_id: UUID) -> Any:
        """Set stricter local thresholds from a date (the lead's buyer)."""
        consortium = marketplace().set_consortium_thresholds(require_account(), consortium_id, thresholds)
        return consortium_view(consortium)


@blp.route("/consortia/<uuid:consortium_id>/solicitations")
class ConsortiumPipeline(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_of(PipelineItemSchema, "PipelinePage"))
    @reads("procurement")
    def get(self, args: dict[str, Any], consortium_id: UUID) -> Any:
        """The consortium's pipeline: every solicitation and its status (drafts to the lead only)."""
        consortium = marketplace().get_consortium(consortium_id)
        with services().engines.reader.connect() as conn:
            return queries.consortium_pipeline(
                conn,
                consortium_id,
                consortium.is_lead_buyer(current_account()),
                args["page"],
                args["per_page"],
            )


@blp.route("/thresholds")
class ThresholdsInForce(MethodView):
    @blp.arguments(ThresholdsArgsSchema, location="query")
    @blp.response(200, ThresholdsSchema)
    @reads()
    def get(self, args: dict[str, Any]) -> Any:
        """The purchase thresholds in force on a day (federal, or a consortium's stricter ones)."""
        day = args["on"] or events.now().date()
        consortium = None
        if args["consortium_id"] is not None:
            consortium = marketplace().get_consortium(args["consortium_id"])
        try:
            found = consortium.thresholds_on(day) if consortium else thresholds_on(day)
        except InvalidValue as error:
            raise InvalidValue(error.message, error.fields, location="query") from None
        return to_plain(found)

