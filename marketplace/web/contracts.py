from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from marketplace.domain.contracts import Contract
from marketplace.web.auth import require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command, etag, version_as_of
from marketplace.web.procurement_views import contract_view
from marketplace.web.reads import reads
from marketplace.web.schemas.common import AsOfArgsSchema, PageArgsSchema, page_of
from marketplace.web.schemas.offerings import HistoryPageSchema
from marketplace.web.schemas.procurement import (
    ContractAmendInSchema,
    ContractArgsSchema,
    ContractSchema,
    DirectPurchaseInSchema,
    JoinInSchema,
    ReasonSchema,
    RegisterItemSchema,
    RenewInSchema,
    SignInSchema,
)
from marketplace.web.services import marketplace, services
from projections import procurement_queries, queries

blp = Blueprint(
    "contracts",
    __name__,
    url_prefix="/api/v1",
    description="Awarded contracts (public record), direct purchases, and districts joining",
)


def _respond(contract: Contract) -> tuple[dict[str, Any], dict[str, str]]:
    return contract_view(contract), etag(contract.version)


@blp.route("/contracts")
class Contracts(MethodView):
    @blp.arguments(ContractArgsSchema, location="query")
    @blp.response(200, page_of(RegisterItemSchema, "ContractRegisterPage"))
    @reads("procurement", "catalog")  # the provider's name
    def get(self, args: dict[str, Any]) -> Any:
        """The contracts register, filtered by consortium, party district, provider, status."""
        with services().engines.reader.connect() as conn:
            page = procurement_queries.contracts_register(
                conn,
                args["consortium_id"],
                args["district_id"],
                args["provider_id"],
                args["status"],
                args["page"],
                args["per_page"],
            )
        return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/contracts/<uuid:contract_id>")
class ContractById(MethodView):
    @blp.arguments(AsOfArgsSchema, location="query")
    @blp.response(200, ContractSchema)
    @reads()
    def get(self, args: dict[str, Any], contract_id: UUID) -> Any:
        """A contract with its award record, allocations, cost shares and saving against list.
        With ``as_of``, the contract as it stood then."""
        version = version_as_of(contract_id, args["as_of"], "contract")
        contract = marketplace().get_contract(contract_id, version)
        return contract_view(contract, args["as_of"]), etag(contract.version)


@blp.route("/contracts/<uuid:contract_id>/sign")
class Sign(MethodView):
    @blp.arguments(SignInSchema)
    @blp.response(200, ContractSchema)
    @command(200, render=contract_view)
    def post(self, data: dict[str, Any], contract_id: UUID) -> Any:
        """The awarded provider signs."""
        return _respond(marketplace().sign_contract(require_account(), contract_id, data["signatory"]))


@blp.route("/contracts/<uuid:contract_id>/amendments")
class Amend(MethodView):
    @blp.arguments(ContractAmendInSchema)
    @blp.response(200, ContractSchema)
    @command(200, render=contract_view)
    def post(self, data: dict[str, Any], contract_id: UUID) -> Any:
        """Amend the unit price or the term's end, with a rationale (the lead's buyer). The new
        value must stay within the contract's method under the thresholds it was awarded under;
        a raise above the simplified acquisition threshold needs a cost or price analysis."""
        contract = marketplace().amend_contract(
            require_account(),
            contract_id,
            data["unit_price"],
            data["term_end"],
            data["rationale"],
            data["cost_price_analysis"],
        )
        return _respond(contract)


@blp.route("/contracts/<uuid:contract_id>/renewals")
class Renew(MethodView):
    @blp.arguments(RenewInSchema)
    @blp.response(200, ContractSchema)
    @command(200, render=contract_view)
    def post(self, data: dict[str, Any], contract_id: UUID) -> Any:
        """Renew: extend the term, with a rationale (the lead's buyer)."""
        return _respond(
            marketplace().renew_contract(require_account(), contract_id, data["term_end"], data["rationale"])
        )


@blp.route("/contracts/<uuid:contract_id>/terminate")
class Terminate(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, ContractSchema)
    @command(200, render=contract_view)
    def post(self, data: dict[str, Any], contract_id: UUID) -> Any:
        """Terminate, with a reason (the lead's buyer)."""
        return _respond(marketplace().terminate_contract(require_account(), contract_id, data["reason"]))


@blp.route("/contracts/<uuid:contract_id>/join")
class Join(MethodView):
    @blp.arguments(JoinInSchema)
    @blp.response(200, ContractSchema)
    @command(200, render=contract_view)
    def post(self, data: dict[str, Any], contract_id: UUID) -> Any:
        """A district joins an active contract its solicitation opened to it (that district's buyer)."""
        contract = marketplace().join_contract(
            require_account(), contract_id, data["district_id"], data["seats"], data["offering_id"]
        )
        return _respond(contract)


@blp.route("/contracts/<uuid:contract_id>/history")
class ContractHistory(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, HistoryPageSchema)
    @reads("history")
    def get(self, args: dict[str, Any], contract_id: UUID) -> Any:
        marketplace().get_contract(contract_id)
        with services().engines.reader.connect() as conn:
            return queries.history(conn, contract_id, args["page"], args["per_page"])


@blp.route("/direct-purchases")
class DirectPurchases(MethodView):
    @blp.arguments(DirectPurchaseInSchema)
    @blp.response(201, ContractSchema)
    @command(201, render=contract_view)
    def post(self, data: dict[str, Any]) -> Any:
        """At or below the micro-purchase threshold: order a catalog offering at list price with a
        price-reasonableness note; the award and contract are recorded without a solicitation."""
        contract = marketplace().direct_purchase(
            require_account(),
            data["offering_id"],
            data["demand"],
            data["consortium_id"],
            data["price_reasonableness"],
            data["contract_type"],
            data["term_start"],
            data["term_end"],
        )
        return _respond(contract)
