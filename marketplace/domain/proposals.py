"""A provider's sealed proposal, and an evaluator's attested scoring of the proposals.

One proposal per provider per solicitation (its id derives from both); it is revised or withdrawn
only before the deadline, judged by the clock when the command runs (PRODUCT rule 4). An
evaluator attests no conflict of interest with the offerors once the closing has opened the
proposals, before any is visible to it or scored (rule 5), and scores only the published criteria
(rule 6).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any, Iterable, Mapping
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.solicitations import (
    ConflictOfInterestAttested,
    ProposalResubmitted,
    ProposalRevised,
    ProposalScored,
    ProposalSubmitted,
    ProposalWithdrawn,
)
from events.types import Offeror, Pricing, Role, Score
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.errors import InvalidValue, NotAllowed, WrongState, invalid
from marketplace.domain.offerings import Offering, OfferingStatus, check_details
from marketplace.domain.pricing import require_proposal_per_seat
from marketplace.domain.solicitations import Solicitation, SolicitationStatus
from marketplace.domain.thresholds import PRICE_RANKED_METHODS

_PROPOSAL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:proposal")
_EVALUATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:evaluation")
PROPOSAL_FIELDS = ("offering_ids", "pricing", "narrative")


def unit_price_at(pricing: Pricing, quantity: int) -> Decimal:
    """The unit price at the volume tier the quantity reaches."""
    price = pricing.list_price
    for tier in pricing.volume_tiers:
        if quantity >= tier.min_quantity:
            price = tier.unit_price
    return price


class Proposal(Aggregate):
    TOPIC = "marketplace.Proposal"
    Event = MarketplaceEvent
    Created = ProposalSubmitted

    @staticmethod
    def id_for(solicitation_id: UUID, provider_id: UUID) -> UUID:
        return uuid5(_PROPOSAL_NAMESPACE, f"{solicitation_id}:{provider_id}")

    @classmethod
    def submit(
        cls,
        by: Account,
        solicitation: Solicitation,
        offerings: Iterable[Offering],
        pricing: Pricing,
        narrative: str,
        now: datetime,
    ) -> Proposal:
        by.require_role(Role.PROVIDER)
        solicitation.require_may_respond(by, "proposing")
        solicitation.require_open_for_proposals(now)
        checked = _check_proposal(by, offerings, pricing, narrative)
        return cls._create(
            ProposalSubmitted,
            id=cls.id_for(solicitation.id, by.organization_id),
            actor=str(by.id),
            solicitation_id=solicitation.id,
            provider_id=by.organization_id,
            **checked,
        )

    def revise(
        self,
        by: Account,
        solicitation: Solicitation,
        offerings: Iterable[Offering] | None,
        pricing: Pricing | None,
        narrative: str | None,
        now: datetime,
    ) -> None:
        self._require_author(by)
        self._require_active()
        solicitation.require_open_for_proposals(now)
        checked = _check_proposal(
            by,
            offerings if offerings is not None else None,
            pricing if pricing is not None else self.pricing,
            narrative if narrative is not None else self.narrative,
            keep_offering_ids=self.offering_ids if offerings is None else None,
        )
        changes = {k: v for k, v in checked.items() if getattr(self, k) != v}
        if not changes:
            raise invalid("changes", "the revision changes nothing")
        self.trigger_event(ProposalRevised, actor=str(by.id), changes=changes)

    def resubmit(
        self,
        by: Account,
        solicitation: Solicitation,
        offerings: Iterable[Offering],
        pricing: Pricing,
        narrative: str,
        now: datetime,
    ) -> None:
        """Bid again after withdrawing, before the deadline."""
        self._require_author(by)
        if not self.withdrawn:
            raise WrongState("this proposal is active: revise it instead")
        solicitation.require_open_for_proposals(now)
        checked = _check_proposal(by, offerings, pricing, narrative)
        self.trigger_event(ProposalResubmitted, actor=str(by.id), **checked)

    def withdraw(self, by: Account, solicitation: Solicitation, reason: str | None, now: datetime) -> None:
        self._require_author(by)
        self._require_active()
        solicitation.require_open_for_proposals(now)
        self.trigger_event(
            ProposalWithdrawn,
            actor=str(by.id),
            reason=validation.text("reason", reason, required=False, max_length=2000),
        )

    def is_author(self, account: Account | None) -> bool:
        return account is not None and account.role is Role.PROVIDER and account.acts_for(self.provider_id)

    def unit_price_for(self, quantity: int) -> Decimal:
        return unit_price_at(self.pricing, quantity)

    def _require_author(self, by: Account) -> None:
        if not self.is_author(by):
            raise NotAllowed("only the provider that submitted this proposal can change it")

    def _require_active(self) -> None:
        if self.withdrawn:
            raise WrongState("this proposal was withdrawn")

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: ProposalSubmitted) -> None:
        self.solicitation_id = event.solicitation_id
        self.provider_id = event.provider_id
        self.offering_ids = tuple(event.offering_ids)
        self.pricing = event.pricing
        self.narrative = event.narrative
        self.withdrawn = False
        self.withdrawal_reason: str | None = None

    @when.register
    def _(self, event: ProposalRevised) -> None:
        for name, value in event.changes.items():
            setattr(self, name, tuple(value) if name == "offering_ids" else value)

    @when.register
    def _(self, event: ProposalWithdrawn) -> None:
        self.withdrawn = True
        self.withdrawal_reason = event.reason

    @when.register
    def _(self, event: ProposalResubmitted) -> None:
        self.offering_ids = tuple(event.offering_ids)
        self.pricing = event.pricing
        self.narrative = event.narrative
        self.withdrawn = False
        self.withdrawal_reason = None


def _check_proposal(
    by: Account,
    offerings: Iterable[Offering] | None,
    pricing: Pricing,
    narrative: str,
    keep_offering_ids: tuple[UUID, ...] | None = None,
) -> dict[str, Any]:
    if keep_offering_ids is not None:
        offering_ids = keep_offering_ids
    else:
        offered = list(offerings or ())
        if not offered:
            raise invalid("offering_ids", "name at least one of your published offerings")
        for index, offering in enumerate(offered):
            if offering.provider_id != by.organization_id:
                raise invalid(f"offering_ids.{index}", "is not one of your offerings")
            if offering.status is not OfferingStatus.PUBLISHED:
                raise invalid(f"offering_ids.{index}", "must be published in the catalog")
        offering_ids = tuple(dict.fromkeys(o.id for o in offered))
    checked_pricing = check_details({"pricing": pricing})["pricing"]
    if checked_pricing is None:
        raise invalid("pricing", "a proposal states its price")
    require_proposal_per_seat(checked_pricing)
    return {
        "offering_ids": offering_ids,
        "pricing": checked_pricing,
        "narrative": validation.required_text("narrative", narrative, max_length=50000),
    }


class Evaluation(Aggregate):
    """One evaluator's work on one solicitation; it begins with the conflict-of-interest attestation."""

    TOPIC = "marketplace.Evaluation"
    Event = MarketplaceEvent
    Created = ConflictOfInterestAttested

    @staticmethod
    def id_for(solicitation_id: UUID, evaluator_id: UUID) -> UUID:
        return uuid5(_EVALUATION_NAMESPACE, f"{solicitation_id}:{evaluator_id}")

    @classmethod
    def attest(
        cls,
        by: Account,
        solicitation: Solicitation,
        opened: Mapping[UUID, Proposal],
        legal_names: Mapping[UUID, str],
        statement: str,
    ) -> Evaluation:
        """Attest no conflict of interest with the offerors: once the closing has opened the
        proposals (a conflict is with an offeror, unknown before), and before reading or scoring
        any. ``opened`` holds at least the opened proposals by id, ``legal_names`` their
        providers' legal names; the attestation records those offerors."""
        by.require_role(Role.EVALUATOR)
        if by.id not in solicitation.evaluator_ids:
            raise NotAllowed("only an evaluator named on this solicitation can evaluate it")
        if solicitation.status is not SolicitationStatus.CLOSED:
            raise WrongState(
                "an evaluator attests once the solicitation is closed and its offerors are known; "
                f"this solicitation is {solicitation.status.value}"
            )
        offerors = _offerors(solicitation, opened, legal_names)
        if not offerors:
            raise WrongState(
                "no proposal was opened on this solicitation: there is no offeror to attest about"
            )
        statement = validation.statement(
            "statement",
            statement,
            asks="state that you have no conflict of interest with the offerors",
        )
        return cls._create(
            ConflictOfInterestAttested,
            id=cls.id_for(solicitation.id, by.id),
            actor=str(by.id),
            solicitation_id=solicitation.id,
            evaluator_id=by.id,
            statement=statement,
            offerors=offerors,
        )

    def score(
        self,
        by: Account,
        solicitation: Solicitation,
        proposal_id: UUID,
        scores: Iterable[Score],
        comment: str | None,
    ) -> None:
        if by.id != self.evaluator_id:
            raise NotAllowed("only the evaluator who attested can score in this evaluation")
        if solicitation.status is not SolicitationStatus.CLOSED:
            raise WrongState(f"proposals are scored after the deadline, before the ranking; this solicitation is {solicitation.status.value}")
        if solicitation.method in PRICE_RANKED_METHODS:
            raise WrongState(f"{solicitation.method.value} is ranked by price; there is nothing to score")
        if proposal_id not in solicitation.responsive_proposal_ids():
            raise invalid("proposal_id", "not a responsive proposal opened on this solicitation")
        scores = tuple(scores)
        published = {c.name for c in solicitation.criteria}
        given = [s.criterion for s in scores]
        problems: dict[str, list[str]] = {}
        unknown = sorted(set(given) - published)
        if unknown:
            problems["scores"] = [f"not published criteria: {', '.join(unknown)}"]
        missing = sorted(published - set(given))
        if missing:
            problems.setdefault("scores", []).append(f"score every published criterion; missing {', '.join(missing)}")
        if len(given) != len(set(given)):
            problems.setdefault("scores", []).append("each criterion once")
        for index, entry in enumerate(scores):
            if not entry.points.is_finite() or not (Decimal(0) <= entry.points <= Decimal(100)):
                problems[f"scores.{index}.points"] = ["must be from 0 to 100"]
            elif validation.decimal_places(entry.points) > 2:
                problems[f"scores.{index}.points"] = ["must have at most two decimal places"]
        if problems:
            summary = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(problems.items()))
            raise InvalidValue(summary, problems)
        self.trigger_event(
            ProposalScored,
            actor=str(by.id),
            proposal_id=proposal_id,
            # written out in full: "1E+1" is recorded as 10
            scores=tuple(Score(s.criterion, validation.written_out(s.points)) for s in scores),
            comment=validation.text("comment", comment, required=False, max_length=10000),
        )

    def points(self) -> dict[UUID, dict[str, Decimal]]:
        return {pid: {s.criterion: s.points for s in scores} for pid, scores in self.scores.items()}

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: ConflictOfInterestAttested) -> None:
        self.solicitation_id = event.solicitation_id
        self.evaluator_id = event.evaluator_id
        self.statement = event.statement
        # None on an attestation recorded before the offerors were (class version 1).
        self.offerors: tuple[Offeror, ...] | None = (
            None if event.offerors is None else tuple(event.offerors)
        )
        self.scores: dict[UUID, tuple[Score, ...]] = {}

    @when.register
    def _(self, event: ProposalScored) -> None:
        self.scores[event.proposal_id] = tuple(event.scores)


def _offerors(
    solicitation: Solicitation, opened: Mapping[UUID, Proposal], legal_names: Mapping[UUID, str]
) -> tuple[Offeror, ...]:
    """The providers of the solicitation's opened proposals, by legal name."""
    provider_ids = {opened[p].provider_id for p in solicitation.opened_proposal_ids}
    return tuple(
        sorted(
            (Offeror(provider_id, legal_names[provider_id]) for provider_id in provider_ids),
            key=lambda offeror: (offeror.legal_name, str(offeror.provider_id)),
        )
    )
