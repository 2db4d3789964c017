from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

import events
from events.offerings import DETAIL_FIELDS
from events.plain import iso_utc, to_plain
from marketplace.domain.errors import NotFound
from marketplace.domain.offerings import Offering, OfferingStatus, is_visible
from marketplace.web.auth import current_account, require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command, etag, expected_version, version_as_of
from marketplace.web.reads import reads
from marketplace.web.schemas.common import AsOfArgsSchema, PageArgsSchema
from marketplace.web.schemas.offerings import (
    HistoryPageSchema,
    OfferingDraftSchema,
    OfferingPatchSchema,
    OfferingSchema,
    WithdrawSchema,
)
from marketplace.web.services import marketplace, services
from projections import queries
from projections.trust_queries import designation_label

blp = Blueprint(
    "offerings",
    __name__,
    url_prefix="/api/v1/offerings",
    description="A provider's offerings: drafts, revisions, publication, withdrawal, history",
)


def offering_view(offering: Offering) -> dict[str, Any]:
    """The offering document, as the catalog projection stores it. Designations, issued by
    authorities rather than the provider, come from the catalog read model; a draft has none
    (only an offering in the catalog can be designated), so for a draft nothing is read there."""
    return {
        "id": str(offering.id),
        "provider": {
            "id": str(offering.provider_id),
            "name": marketplace().provider_legal_name(offering.provider_id),
        },
        "status": offering.status.value,
        "version": offering.version,
        "created_at": iso_utc(offering.created_on),
        "updated_at": iso_utc(offering.modified_on),
        "published_at": iso_utc(offering.published_at),
        "withdrawn_at": iso_utc(offering.withdrawn_at),
        "withdrawal_reason": offering.withdrawal_reason,
        **{name: to_plain(getattr(offering, name)) for name in DETAIL_FIELDS},
        "designations": _designations(offering),
    }


def _designations(offering: Offering) -> list[dict[str, Any]]:
    if not offering.in_catalog:
        return []
    with services().engines.reader.connect() as conn:
        return _labels(queries.offering_document(conn, offering.id) or {})


def _labels(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Designations as labels, with their status judged today."""
    today = events.now().date()
    return [designation_label(label, today) for label in document.get("designations") or []]


def _respond(offering: Offering) -> tuple[dict[str, Any], dict[str, str]]:
    return offering_view(offering), etag(offering.version)


def _visible_document(offering_id: UUID) -> dict[str, Any]:
    with services().engines.reader.connect() as conn:
        document = queries.offering_document(conn, offering_id)
    if document is None or not is_visible(
        OfferingStatus(document["status"]), UUID(document["provider"]["id"]), current_account()
    ):
        raise NotFound(f"offering {offering_id} not found")
    return {**document, "designations": _labels(document)}


@blp.route("")
class Offerings(MethodView):
    @blp.arguments(OfferingDraftSchema)
    @blp.response(201, OfferingSchema)
    @command(201, render=offering_view)
    def post(self, data: dict[str, Any]) -> Any:
        """Start a draft listing for the caller's provider."""
        return _respond(marketplace().draft_offering(require_account(), data))


@blp.route("/<uuid:offering_id>")
class OfferingById(MethodView):
    @blp.arguments(AsOfArgsSchema, location="query")
    @blp.response(200, OfferingSchema)
    @reads("catalog")
    def get(self, args: dict[str, Any], offering_id: UUID) -> Any:
        """An offering; a draft only to its owner. The ETag is its version. With ``as_of``, the
        offering as it stood then (read from the event log)."""
        version = version_as_of(offering_id, args["as_of"], "offering")
        if version is not None:
            offering = marketplace().get_offering(offering_id, version=version)
            if not offering.is_visible_to(current_account()):
                raise NotFound(f"offering {offering_id} not found")
            return _respond(offering)
        document = _visible_document(offering_id)
        return document, etag(document["version"])

    @blp.arguments(OfferingPatchSchema)
    @blp.response(200, OfferingSchema)
    @command(200, render=offering_view)
    def patch(self, changes: dict[str, Any], offering_id: UUID) -> Any:
        """Revise fields (owner only). Send ``If-Match`` with the version: 412 if it is stale."""
        offering = marketplace().revise_offering(
            require_account(), offering_id, changes, expected_version()
        )
        return _respond(offering)


@blp.route("/<uuid:offering_id>/publish")
class PublishOffering(MethodView):
    @blp.response(200, OfferingSchema)
    @command(200, render=offering_view)
    def post(self, offering_id: UUID) -> Any:
        """Publish a complete draft to the catalog (owner only)."""
        offering = marketplace().publish_offering(require_account(), offering_id, expected_version())
        return _respond(offering)


@blp.route("/<uuid:offering_id>/withdraw")
class WithdrawOffering(MethodView):
    @blp.arguments(WithdrawSchema)
    @blp.response(200, OfferingSchema)
    @command(200, render=offering_view)
    def post(self, data: dict[str, Any], offering_id: UUID) -> Any:
        """Withdraw a published offering from the catalog (owner only); it stays readable."""
        offering = marketplace().withdraw_offering(
            require_account(), offering_id, data["reason"], expected_version()
        )
        return _respond(offering)


@blp.route("/<uuid:offering_id>/history")
class OfferingHistory(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, HistoryPageSchema)
    @reads("history", "catalog")  # the catalog says whether the caller may see the offering
    def get(self, args: dict[str, Any], offering_id: UUID) -> Any:
        """Every event of the offering, oldest first: type, time, actor and what changed."""
        _visible_document(offering_id)
        with services().engines.reader.connect() as conn:
            return queries.history(conn, offering_id, args["page"], args["per_page"])
