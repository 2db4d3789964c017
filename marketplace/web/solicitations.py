from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

import events
from marketplace.domain.solicitations import AwardDecision, Solicitation
from marketplace.web.auth import current_account, require_account
from marketplace.web.blueprint import Blueprint
from marketplace.web.commands import command, etag, expected_version, version_as_of
from marketplace.web.procurement_views import (
    contract_view,
    evaluation_revealed,
    evaluation_view,
    proposal_view,
    solicitation_view,
)
from marketplace.web.reads import reads
from marketplace.web.schemas.common import AsOfArgsSchema, PageArgsSchema, page_of
from marketplace.web.schemas.offerings import HistoryPageSchema
from marketplace.web.schemas.procurement import (
    AmendmentSchema,
    AnswerInSchema,
    AttestationInSchema,
    AwardInSchema,
    BoardItemSchema,
    CancelAwardSchema,
    ContractSchema,
    EvaluationSchema,
    EvaluatorInSchema,
    NonresponsiveSchema,
    ProposalInSchema,
    ProposalSchema,
    QuestionInSchema,
    ReasonSchema,
    ScoringInSchema,
    SolicitationCreateSchema,
    SolicitationPatchSchema,
    SolicitationSchema,
)
from marketplace.web.services import marketplace, services
from projections import procurement_queries, queries
from projections.history import withhold_evaluation_results

blp = Blueprint(
    "solicitations",
    __name__,
    url_prefix="/api/v1/solicitations",
    description="Joint solicitations: need, publication, questions, sealed proposals, evaluation, award",
)


def _respond(solicitation: Solicitation) -> tuple[dict[str, Any], dict[str, str]]:
    return solicitation_view(solicitation), etag(solicitation.version)


def _visible(solicitation_id: UUID, version: int | None = None) -> Solicitation:
    return marketplace().read_solicitation(current_account(), solicitation_id, version)


@blp.route("")
class Solicitations(MethodView):
    @blp.arguments(SolicitationCreateSchema)
    @blp.response(201, SolicitationSchema)
    @command(201, render=solicitation_view)
    def post(self, data: dict[str, Any]) -> Any:
        """Draft a solicitation (a buyer of the consortium's lead district). The method follows
        from the estimated value and the thresholds in force today; only a stricter one may be chosen."""
        consortium_id = data.pop("consortium_id")
        return _respond(marketplace().draft_solicitation(require_account(), consortium_id, data))

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_of(BoardItemSchema, "SolicitationBoardPage"))
    @reads("procurement")
    def get(self, args: dict[str, Any]) -> Any:
        """The public board: solicitations open for proposals, soonest deadline first."""
        with services().engines.reader.connect() as conn:
            return procurement_queries.open_solicitations(
                conn, events.now(), args["page"], args["per_page"]
            )


@blp.route("/<uuid:solicitation_id>")
class SolicitationById(MethodView):
    @blp.arguments(AsOfArgsSchema, location="query")
    @blp.response(200, SolicitationSchema)
    @reads()
    def get(self, args: dict[str, Any], solicitation_id: UUID) -> Any:
        """A solicitation with its full timeline. Drafts are visible to the lead's buyers only;
        nothing about proposals (not even their number) appears before the deadline. With
        ``as_of``, the solicitation as it stood then."""
        version = version_as_of(solicitation_id, args["as_of"], "solicitation")
        return _respond(_visible(solicitation_id, version))

    @blp.arguments(SolicitationPatchSchema)
    @blp.response(200, SolicitationSchema)
    @command(200, render=solicitation_view)
    def patch(self, changes: dict[str, Any], solicitation_id: UUID) -> Any:
        """Revise a draft (after publication, use amendments)."""
        _visible(solicitation_id)
        return _respond(
            marketplace().revise_solicitation(require_account(), solicitation_id, changes, expected_version())
        )


def _action(path: str, summary: str, schema: Any = None) -> Any:
    """Register a POST action on a solicitation that answers with the solicitation."""

    def decorator(fn: Any) -> Any:
        def post(self: Any, *args: Any, **kwargs: Any) -> Any:
            _visible(kwargs["solicitation_id"])
            return _respond(fn(*args, **kwargs))

        post.__doc__ = summary
        view = command(200, render=solicitation_view)(post)
        view = blp.response(200, SolicitationSchema)(view)
        if schema is not None:
            view = blp.arguments(schema)(view)
        blp.route(path)(type(fn.__name__, (MethodView,), {"post": view}))
        return fn

    return decorator


@_action("/<uuid:solicitation_id>/publish", "Publish: criteria lock, the board lists it (the lead's buyer).")
def publish(solicitation_id: UUID) -> Solicitation:
    return marketplace().publish_solicitation(require_account(), solicitation_id, expected_version())


@_action(
    "/<uuid:solicitation_id>/amendments",
    "Amend a published solicitation before its deadline, with a rationale.",
    AmendmentSchema,
)
def amend(data: dict[str, Any], solicitation_id: UUID) -> Solicitation:
    rationale = data.pop("rationale")
    return marketplace().amend_solicitation(
        require_account(), solicitation_id, data, rationale, expected_version()
    )


@_action("/<uuid:solicitation_id>/questions", "Ask a question (a provider, before questions are due).", QuestionInSchema)
def ask(data: dict[str, Any], solicitation_id: UUID) -> Solicitation:
    return marketplace().ask_question(require_account(), solicitation_id, data["text"])


@_action(
    "/<uuid:solicitation_id>/questions/<uuid:question_id>/answer",
    "Publish the answer to a question (the lead's buyer).",
    AnswerInSchema,
)
def answer(data: dict[str, Any], solicitation_id: UUID, question_id: UUID) -> Solicitation:
    return marketplace().answer_question(require_account(), solicitation_id, question_id, data["answer"])


@_action("/<uuid:solicitation_id>/evaluators", "Name an evaluator account (the lead's buyer).", EvaluatorInSchema)
def name_evaluator(data: dict[str, Any], solicitation_id: UUID) -> Solicitation:
    return marketplace().name_evaluator(require_account(), solicitation_id, data["account_id"])


@_action(
    "/<uuid:solicitation_id>/nonresponsive",
    "Declare an opened proposal nonresponsive, with the reason (the lead's buyer).",
    NonresponsiveSchema,
)
def nonresponsive(data: dict[str, Any], solicitation_id: UUID) -> Solicitation:
    return marketplace().declare_nonresponsive(
        require_account(), solicitation_id, data["proposal_id"], data["reason"]
    )


@_action("/<uuid:solicitation_id>/evaluation/complete", "Rank the responsive proposals (the lead's buyer).")
def complete(solicitation_id: UUID) -> Solicitation:
    return marketplace().complete_evaluation(require_account(), solicitation_id)


@_action(
    "/<uuid:solicitation_id>/award/cancel",
    "Cancel the award before signature, with a reason; set the winner aside to award the "
    "next-ranked proposal.",
    CancelAwardSchema,
)
def cancel_award(data: dict[str, Any], solicitation_id: UUID) -> Solicitation:
    return marketplace().cancel_award(
        require_account(), solicitation_id, data["reason"], data["set_aside_winner"]
    )


@_action("/<uuid:solicitation_id>/cancel", "Cancel the solicitation, with a reason.", ReasonSchema)
def cancel(data: dict[str, Any], solicitation_id: UUID) -> Solicitation:
    return marketplace().cancel_solicitation(require_account(), solicitation_id, data["reason"])


@_action("/<uuid:solicitation_id>/unsuccessful", "Declare it unsuccessful, with a reason.", ReasonSchema)
def unsuccessful(data: dict[str, Any], solicitation_id: UUID) -> Solicitation:
    return marketplace().declare_unsuccessful(require_account(), solicitation_id, data["reason"])


@blp.route("/<uuid:solicitation_id>/proposals")
class SolicitationProposals(MethodView):
    @blp.arguments(ProposalInSchema)
    @blp.response(201, ProposalSchema)
    @command(201, render=proposal_view)
    def post(self, data: dict[str, Any], solicitation_id: UUID) -> Any:
        """Submit a sealed proposal (a provider, before the deadline)."""
        proposal = marketplace().submit_proposal(
            require_account(), solicitation_id, data["offering_ids"], data["pricing"], data["narrative"]
        )
        return proposal_view(proposal)

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_of(ProposalSchema, "ProposalPage"))
    @reads("procurement")
    def get(self, args: dict[str, Any], solicitation_id: UUID) -> Any:
        """The opened proposals: after the deadline, to the lead's buyers and to named evaluators
        who attested no conflict of interest. Before it, refused to everyone; between the
        deadline and the recording of its closing (within a minute), 409."""
        app = marketplace()
        account = require_account()
        solicitation = _visible(solicitation_id)
        app.require_may_read_proposals(account, solicitation)
        opened = solicitation.opened_proposal_ids
        page, per_page = args["page"], args["per_page"]
        shown = opened[(page - 1) * per_page : page * per_page]
        items = [proposal_view(app.get_proposal(p)) for p in shown]
        return {"items": items, "total": len(opened), "page": page, "per_page": per_page}


@blp.route("/<uuid:solicitation_id>/evaluation/attestation")
class Attestation(MethodView):
    @blp.arguments(AttestationInSchema)
    @blp.response(201, EvaluationSchema)
    @command(201, render=evaluation_view)
    def post(self, data: dict[str, Any], solicitation_id: UUID) -> Any:
        """Attest no conflict of interest with the offerors (a named evaluator): once the
        solicitation is closed, before seeing or scoring proposals. Records the offerors."""
        return evaluation_view(marketplace().attest(require_account(), solicitation_id, data["statement"]))


@blp.route("/<uuid:solicitation_id>/evaluation/scores")
class Scores(MethodView):
    @blp.arguments(ScoringInSchema)
    @blp.response(200, EvaluationSchema)
    @command(200, render=evaluation_view)
    def post(self, data: dict[str, Any], solicitation_id: UUID) -> Any:
        """Score one proposal on every published criterion, 0-100 each (an attested evaluator)."""
        evaluation = marketplace().score_proposal(
            require_account(), solicitation_id, data["proposal_id"], data["scores"], data["comment"]
        )
        return evaluation_view(evaluation)


@blp.route("/<uuid:solicitation_id>/award")
class Award(MethodView):
    @blp.arguments(AwardInSchema)
    @blp.response(201, ContractSchema)
    @command(201, render=contract_view)
    def post(self, data: dict[str, Any], solicitation_id: UUID) -> Any:
        """Award to the highest-ranked responsive proposal, recording what auditors ask for;
        the contract is created, priced at the volume tier the pooled seats reach."""
        decision = AwardDecision(
            proposal_id=data["proposal_id"],
            contract_type=data["contract_type"],
            method_rationale=data["method_rationale"],
            selection_reason=data["selection_reason"],
            rejections=AwardDecision.rejections_from(
                (r["proposal_id"], r["reason"]) for r in data["rejections"]
            ),
            price_basis=data["price_basis"],
            term_start=data["term_start"],
            term_end=data["term_end"],
            cost_price_analysis=data["cost_price_analysis"],
            justification=data["justification"],
        )
        return contract_view(marketplace().award(require_account(), solicitation_id, decision))


@blp.route("/<uuid:solicitation_id>/history")
class SolicitationHistory(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, HistoryPageSchema)
    @reads("history")
    def get(self, args: dict[str, Any], solicitation_id: UUID) -> Any:
        """Every public event of the solicitation, oldest first. What the evaluation found
        (nonresponsive declarations, the ranking) is withheld, as on the solicitation, from all
        but the lead's buyers until the award."""
        solicitation = _visible(solicitation_id)
        with services().engines.reader.connect() as conn:
            page = queries.history(conn, solicitation_id, args["page"], args["per_page"])
        if not evaluation_revealed(solicitation):
            for entry in page.items:
                entry["changes"] = withhold_evaluation_results(entry["type"], entry["changes"])
        return page
