"""Trust signals: designations of offerings (labels issued and revoked by an authority) and
providers' signed data privacy agreements, with the student data access they allow."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

import events
from events.plain import iso_utc, to_plain
from events.types import PrivacyAgreement
from marketplace.domain.contracts import Contract
from marketplace.domain.designations import Designation
from marketplace.domain.errors import NotFound
from marketplace.domain.offerings import OfferingStatus, is_visible
from marketplace.domain.providers import Provider, in_force
from marketplace.web.auth import current_account, require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command, etag
from marketplace.web.procurement_views import contract_view
from marketplace.web.reads import reads
from marketplace.web.schemas.common import PageArgsSchema
from marketplace.web.schemas.procurement import ContractSchema
from marketplace.web.schemas.trust import (
    DesignationInSchema,
    DesignationPageSchema,
    DesignationSchema,
    PrivacyAgreementInSchema,
    PrivacyAgreementPageSchema,
    PrivacyAgreementSchema,
    RevocationInSchema,
    StudentDataAccessInSchema,
)
from marketplace.web.services import marketplace, services
from projections import queries, trust_queries

blp = Blueprint(
    "trust",
    __name__,
    url_prefix="/api/v1",
    description="Designations of offerings, and providers' data privacy agreements",
)


def designation_view(designation: Designation) -> dict[str, Any]:
    """The designation as its read model shows it (``trust_queries.designation_document``)."""
    return {
        "id": str(designation.id),
        "offering_id": str(designation.offering_id),
        "name": designation.name,
        "issuer": designation.issuer,
        "criteria_url": designation.criteria_url,
        "valid_from": designation.valid_from.isoformat(),
        "valid_until": to_plain(designation.valid_until),
        "status": designation.status_on(events.now().date()).value,
        "issued_at": iso_utc(designation.issued_at),
        "revoked_at": iso_utc(designation.revoked_at),
        "revocation_reason": designation.revocation_reason,
    }


def agreement_view(provider: Provider, agreement: PrivacyAgreement | None = None) -> dict[str, Any]:
    """An agreement as its read model shows it; by default the one the provider recorded last
    (what a command, or its idempotent replay at that version, answers with)."""
    if agreement is None:
        agreement = list(provider.privacy_agreements.values())[-1]
    return {
        **to_plain(agreement),
        "provider_id": str(provider.id),
        "in_force": in_force(agreement, events.now().date()),
        "recorded_at": iso_utc(provider.modified_on),
    }


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    start = (args["page"] - 1) * args["per_page"]
    return {
        "items": items[start : start + args["per_page"]],
        "total": len(items),
        "page": args["page"],
        "per_page": args["per_page"],
    }


def _require_visible_offering(offering_id: UUID) -> None:
    with services().engines.reader.connect() as conn:
        document = queries.offering_document(conn, offering_id)
    if document is None or not is_visible(
        OfferingStatus(document["status"]), UUID(document["provider"]["id"]), current_account()
    ):
        raise NotFound(f"offering {offering_id} not found")


# Designations -------------------------------------------------------------------------------------


@blp.route("/offerings/<uuid:offering_id>/designations")
class OfferingDesignations(MethodView):
    @blp.arguments(DesignationInSchema)
    @blp.response(201, DesignationSchema)
    @command(201, render=designation_view)
    def post(self, data: dict[str, Any], offering_id: UUID) -> Any:
        """Issue a designation to a published (or withdrawn) offering: an authority account only.
        A label beside the offering; it never filters, ranks or blocks anything."""
        designation = marketplace().issue_designation(require_account(), offering_id, **data)
        return designation_view(designation)

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, DesignationPageSchema)
    @reads("catalog")
    def get(self, args: dict[str, Any], offering_id: UUID) -> Any:
        """The offering's designations, active and revoked, with their status today."""
        _require_visible_offering(offering_id)
        with services().engines.reader.connect() as conn:
            items = trust_queries.designations_of(conn, offering_id, events.now().date())
        return _page(items, args)


@blp.route("/designations/<uuid:designation_id>")
class DesignationById(MethodView):
    @blp.response(200, DesignationSchema)
    @reads("catalog")
    def get(self, designation_id: UUID) -> Any:
        with services().engines.reader.connect() as conn:
            found = trust_queries.designation_document(conn, designation_id, events.now().date())
        if found is None:
            raise NotFound(f"designation {designation_id} not found")
        return found


@blp.route("/designations/<uuid:designation_id>/revoke")
class RevokeDesignation(MethodView):
    @blp.arguments(RevocationInSchema)
    @blp.response(200, DesignationSchema)
    @command(200, render=designation_view)
    def post(self, data: dict[str, Any], designation_id: UUID) -> Any:
        """Revoke with a reason: the issuing authority account, or an admin. The label stays,
        shown as revoked."""
        designation = marketplace().revoke_designation(require_account(), designation_id, data["reason"])
        return designation_view(designation)


# Data privacy agreements --------------------------------------------------------------------------


@blp.route("/providers/<uuid:provider_id>/privacy-agreements")
class PrivacyAgreements(MethodView):
    @blp.arguments(PrivacyAgreementInSchema)
    @blp.response(201, PrivacyAgreementSchema)
    @command(201, render=agreement_view)
    def post(self, data: dict[str, Any], provider_id: UUID) -> Any:
        """Record a signed data privacy agreement, per state or per district (the provider's own
        accounts only)."""
        provider, agreement = marketplace().record_privacy_agreement(
            require_account(), provider_id, **data
        )
        return agreement_view(provider, agreement)

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, PrivacyAgreementPageSchema)
    @reads("catalog")
    def get(self, args: dict[str, Any], provider_id: UUID) -> Any:
        """The provider's agreements, in force or not (public record)."""
        with services().engines.reader.connect() as conn:
            if queries.provider_row(conn, provider_id) is None:
                raise NotFound(f"provider {provider_id} not found")
            items = trust_queries.agreements_of(conn, provider_id, events.now().date())
        return _page(items, args)


@blp.route("/contracts/<uuid:contract_id>/student-data-access")
class StudentDataAccess(MethodView):
    @blp.arguments(StudentDataAccessInSchema)
    @blp.response(200, ContractSchema)
    @command(200, render=contract_view)
    def post(self, data: dict[str, Any], contract_id: UUID) -> Any:
        """A party district's buyer grants the provider access to its student data: refused (409)
        unless a signed privacy agreement of the provider covers that district today."""
        contract: Contract = marketplace().grant_student_data_access(
            require_account(), contract_id, data["district_id"]
        )
        return contract_view(contract), etag(contract.version)
