"""A consortium's joint solicitation, from draft to award, and the proposals answering it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.base import MarketplaceCreated, MarketplaceEvent
from events.types import (
    Criterion,
    JoiningPolicy,
    Justification,
    NeedLine,
    Offeror,
    Pricing,
    ProcurementMethod,
    Score,
    Thresholds,
)


class SolicitationDrafted(MarketplaceCreated):
    """Version 2 records whether the buyer chose the method (else it follows the value)."""

    TOPIC = "marketplace.Solicitation.Drafted"
    class_version = 2
    consortium_id: UUID
    title: str
    description: str | None
    lines: tuple[NeedLine, ...]
    estimated_value: Decimal
    thresholds: Thresholds
    required_method: ProcurementMethod
    method: ProcurementMethod
    method_chosen: bool
    justification: Justification | None
    criteria: tuple[Criterion, ...]
    questions_due: datetime
    proposals_due: datetime
    joining_policy: JoiningPolicy
    invited_provider_ids: tuple[UUID, ...]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Before version 2 the method was never re-derived: treat it as chosen.
        state["method_chosen"] = True


class SolicitationRevised(MarketplaceEvent):
    """A draft's fields changed (names as in ``SolicitationDrafted``)."""

    TOPIC = "marketplace.Solicitation.Revised"
    changes: dict[str, Any]


class SolicitationPublished(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.Published"


class SolicitationAmended(MarketplaceEvent):
    """A change after publication, with its rationale: dates, criteria, description."""

    TOPIC = "marketplace.Solicitation.Amended"
    changes: dict[str, Any]
    rationale: str


class QuestionAsked(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.QuestionAsked"
    question_id: UUID
    text: str


class QuestionAnswered(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.QuestionAnswered"
    question_id: UUID
    answer: str


class EvaluatorNamed(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.EvaluatorNamed"
    account_id: UUID


class SolicitationClosed(MarketplaceEvent):
    """The deadline passed: proposals are opened. Recorded by the scheduler."""

    TOPIC = "marketplace.Solicitation.Closed"
    opened_proposal_ids: tuple[UUID, ...]


class ProposalDeclaredNonresponsive(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.ProposalDeclaredNonresponsive"
    proposal_id: UUID
    reason: str


class SolicitationEvaluated(MarketplaceEvent):
    """The ranking: each responsive proposal with its weighted total (or price), best first."""

    TOPIC = "marketplace.Solicitation.Evaluated"
    ranking: tuple[dict[str, Any], ...]


class SolicitationAwarded(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.Awarded"
    contract_id: UUID
    proposal_id: UUID


class SolicitationAwardCancelled(MarketplaceEvent):
    """The award is cancelled before signature. Version 2 records the awarded proposal when the
    lead set it aside (the winner would not sign, or could not perform): the next award then
    goes to the next-ranked responsive proposal."""

    TOPIC = "marketplace.Solicitation.AwardCancelled"
    class_version = 2
    contract_id: UUID
    reason: str
    set_aside_proposal_id: UUID | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Version 1 could not set the winner aside: the award went to the same proposal again.
        state["set_aside_proposal_id"] = None


class SolicitationCancelled(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.Cancelled"
    reason: str


class SolicitationDeclaredUnsuccessful(MarketplaceEvent):
    TOPIC = "marketplace.Solicitation.DeclaredUnsuccessful"
    reason: str


# Proposals -------------------------------------------------------------------------------------


class ProposalSubmitted(MarketplaceCreated):
    TOPIC = "marketplace.Proposal.Submitted"
    solicitation_id: UUID
    provider_id: UUID
    offering_ids: tuple[UUID, ...]
    pricing: Pricing
    narrative: str


class ProposalRevised(MarketplaceEvent):
    TOPIC = "marketplace.Proposal.Revised"
    changes: dict[str, Any]


class ProposalWithdrawn(MarketplaceEvent):
    TOPIC = "marketplace.Proposal.Withdrawn"
    reason: str | None


class ProposalResubmitted(MarketplaceEvent):
    """A provider that withdrew bids again before the deadline, with a whole new proposal."""

    TOPIC = "marketplace.Proposal.Resubmitted"
    offering_ids: tuple[UUID, ...]
    pricing: Pricing
    narrative: str


# Evaluations -----------------------------------------------------------------------------------


class ConflictOfInterestAttested(MarketplaceCreated):
    """An evaluator's attestation: the evaluation of one solicitation by one evaluator begins.

    Version 2 records the offerors the evaluator attested about: the providers of the proposals
    opened at the closing, which is when an evaluator may first attest."""

    TOPIC = "marketplace.Evaluation.ConflictOfInterestAttested"
    class_version = 2
    solicitation_id: UUID
    evaluator_id: UUID
    statement: str
    offerors: tuple[Offeror, ...] | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Version 1 did not record the offerors (and allowed attesting before any was known).
        state["offerors"] = None


class ProposalScored(MarketplaceEvent):
    TOPIC = "marketplace.Evaluation.ProposalScored"
    proposal_id: UUID
    scores: tuple[Score, ...]
    comment: str | None
