from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from events.types import Role
from marketplace.domain.errors import NotAllowed
from marketplace.web.auth import current_account, require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command, etag
from marketplace.web.procurement_views import proposal_view
from marketplace.web.reads import reads
from marketplace.web.schemas.common import PageArgsSchema, page_of
from marketplace.web.schemas.procurement import (
    MyProposalSchema,
    OptionalReasonSchema,
    ProposalPatchSchema,
    ProposalSchema,
)
from marketplace.web.services import marketplace, services
from projections import procurement_queries

blp = Blueprint(
    "proposals",
    __name__,
    url_prefix="/api/v1/proposals",
    description="Sealed proposals: their authors revise or withdraw them before the deadline",
)


@blp.route("")
class MyProposals(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_of(MyProposalSchema, "MyProposalPage"))
    @reads("procurement")
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's provider's own proposals (a provider account)."""
        account = require_account()
        if account.role is not Role.PROVIDER or account.organization_id is None:
            raise NotAllowed("only a provider's accounts list its proposals")
        with services().engines.reader.connect() as conn:
            page = procurement_queries.provider_proposals(
                conn, account.organization_id, args["page"], args["per_page"]
            )
        return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/<uuid:proposal_id>")
class ProposalById(MethodView):
    @blp.response(200, ProposalSchema)
    @reads()
    def get(self, proposal_id: UUID) -> Any:
        """A proposal: to its author; after the deadline also to the lead's buyers and attested
        evaluators. To anyone else it does not exist (404), so nothing leaks."""
        proposal = marketplace().read_proposal(current_account(), proposal_id)
        return proposal_view(proposal), etag(proposal.version)

    @blp.arguments(ProposalPatchSchema)
    @blp.response(200, ProposalSchema)
    @command(200, render=proposal_view)
    def patch(self, data: dict[str, Any], proposal_id: UUID) -> Any:
        """Revise (the author, before the deadline)."""
        proposal = marketplace().revise_proposal(
            require_account(),
            proposal_id,
            data.get("offering_ids"),
            data.get("pricing"),
            data.get("narrative"),
        )
        return proposal_view(proposal), etag(proposal.version)


@blp.route("/<uuid:proposal_id>/withdraw")
class WithdrawProposal(MethodView):
    @blp.arguments(OptionalReasonSchema)
    @blp.response(200, ProposalSchema)
    @command(200, render=proposal_view)
    def post(self, data: dict[str, Any], proposal_id: UUID) -> Any:
        """Withdraw (the author, before the deadline)."""
        proposal = marketplace().withdraw_proposal(require_account(), proposal_id, data["reason"])
        return proposal_view(proposal), etag(proposal.version)
