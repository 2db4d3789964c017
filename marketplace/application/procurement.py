"""Use cases for districts, consortia, solicitations, proposals, evaluation, awards, contracts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable
from uuid import UUID

import events
from events.types import (
    ContractType,
    JoiningPolicy,
    Justification,
    NoncompetitiveCase,
    Pricing,
    ProcurementMethod,
    Role,
    Score,
    Seats,
    Thresholds,
)
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import Contract, check_term, cost_shares
from marketplace.domain.districts import Consortium, District
from marketplace.domain.errors import (
    InvalidValue,
    NotAllowed,
    NotFound,
    StaleVersion,
    WrongState,
    invalid,
)
from marketplace.domain.offerings import Offering, OfferingStatus
from marketplace.domain.pricing import require_offering_per_seat
from marketplace.domain.proposals import Evaluation, Proposal
from marketplace.domain.providers import Provider
from marketplace.domain.solicitations import AwardDecision, Solicitation
from marketplace.domain.thresholds import thresholds_on

if TYPE_CHECKING:
    from marketplace.application import MarketplaceBase as _Base
else:
    _Base = object


def _now() -> datetime:
    return events.now()


class ProcurementUseCases(_Base):
    # Loading ------------------------------------------------------------------------------------

    def get_district(self, district_id: UUID) -> District:
        return self._get(District, district_id, "district")

    def get_consortium(self, consortium_id: UUID) -> Consortium:
        return self._get(Consortium, consortium_id, "consortium")

    def get_solicitation(self, solicitation_id: UUID, version: int | None = None) -> Solicitation:
        return self._get(Solicitation, solicitation_id, "solicitation", version)

    def read_solicitation(
        self, by: Account | None, solicitation_id: UUID, version: int | None = None
    ) -> Solicitation:
        """A solicitation as ``by`` may see it: another consortium's draft does not exist."""
        solicitation = self.get_solicitation(solicitation_id, version)
        if not solicitation.is_visible_to(by, self.get_consortium(solicitation.consortium_id)):
            raise NotFound(f"solicitation {solicitation_id} not found")
        return solicitation

    def get_proposal(self, proposal_id: UUID) -> Proposal:
        return self._get(Proposal, proposal_id, "proposal")

    def get_contract(self, contract_id: UUID, version: int | None = None) -> Contract:
        return self._get(Contract, contract_id, "contract", version)

    def find_evaluation(self, solicitation_id: UUID, evaluator_id: UUID) -> Evaluation | None:
        found = self.load_optional(Evaluation.id_for(solicitation_id, evaluator_id))
        return found if isinstance(found, Evaluation) else None

    # Districts and consortia --------------------------------------------------------------------

    def register_district(self, by: Account | None, **details: Any) -> District:
        if self.load_optional(District.id_for(str(details.get("nces_id", "")))) is not None:
            raise InvalidValue(
                f"district {details['nces_id']} is already registered",
                {"nces_id": ["already registered"]},
            )
        district = District.register(by, **details)
        self.save(district, *([by] if by is not None and by.role is Role.BUYER else []))
        return district

    def form_consortium(
        self, by: Account, name: str, lead_district_id: UUID, local_thresholds: Thresholds | None
    ) -> Consortium:
        consortium = Consortium.form(by, name, self.get_district(lead_district_id), local_thresholds)
        self.save(consortium)
        return consortium

    def add_consortium_member(self, by: Account, consortium_id: UUID, district_id: UUID) -> Consortium:
        consortium = self.get_consortium(consortium_id)
        consortium.add_member(by, self.get_district(district_id))
        self.save(consortium)
        return consortium

    def remove_consortium_member(self, by: Account, consortium_id: UUID, district_id: UUID) -> Consortium:
        consortium = self.get_consortium(consortium_id)
        consortium.remove_member(by, self.get_district(district_id).id)
        self.save(consortium)
        return consortium

    def set_consortium_thresholds(self, by: Account, consortium_id: UUID, thresholds: Thresholds) -> Consortium:
        consortium = self.get_consortium(consortium_id)
        consortium.set_thresholds(by, thresholds)
        self.save(consortium)
        return consortium

    # Solicitations ------------------------------------------------------------------------------

    def draft_solicitation(self, by: Account, consortium_id: UUID, spec: dict[str, Any]) -> Solicitation:
        consortium = self.get_consortium(consortium_id)
        self._check_references(spec)
        solicitation = Solicitation.draft(by, consortium, spec, _now().date())
        self.save(solicitation)
        return solicitation

    def revise_solicitation(
        self, by: Account, solicitation_id: UUID, changes: dict[str, Any], expected_version: int | None = None
    ) -> Solicitation:
        solicitation = self._expected(solicitation_id, expected_version)
        self._check_references(changes)
        solicitation.revise(by, self.get_consortium(solicitation.consortium_id), changes)
        self.save(solicitation)
        return solicitation

    def publish_solicitation(
        self, by: Account, solicitation_id: UUID, expected_version: int | None = None
    ) -> Solicitation:
        solicitation = self._expected(solicitation_id, expected_version)
        solicitation.publish(by, self.get_consortium(solicitation.consortium_id), _now())
        self.save(solicitation)
        return solicitation

    def amend_solicitation(
        self,
        by: Account,
        solicitation_id: UUID,
        changes: dict[str, Any],
        rationale: str,
        expected_version: int | None = None,
    ) -> Solicitation:
        solicitation = self._expected(solicitation_id, expected_version)
        self._check_references(changes)
        solicitation.amend(by, self.get_consortium(solicitation.consortium_id), changes, rationale, _now())
        self.save(solicitation)
        return solicitation

    def ask_question(self, by: Account, solicitation_id: UUID, text: str) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        solicitation.ask_question(by, text, _now())
        self.save(solicitation)
        return solicitation

    def answer_question(self, by: Account, solicitation_id: UUID, question_id: UUID, answer: str) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        consortium = self.get_consortium(solicitation.consortium_id)
        solicitation.answer_question(by, consortium, question_id, answer, _now())
        self.save(solicitation)
        return solicitation

    def name_evaluator(self, by: Account, solicitation_id: UUID, evaluator_id: UUID) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        solicitation.name_evaluator(
            by, self.get_consortium(solicitation.consortium_id), self.get_account(evaluator_id)
        )
        self.save(solicitation)
        return solicitation

    def close_solicitation(self, solicitation_id: UUID, proposal_ids: Iterable[UUID]) -> Solicitation:
        """The scheduler records the deadline's passing, with the proposals that were opened."""
        solicitation = self.get_solicitation(solicitation_id)
        active = [p for p in proposal_ids if not self.get_proposal(p).withdrawn]
        solicitation.close(_now(), active)
        self.save(solicitation)
        return solicitation

    def declare_nonresponsive(self, by: Account, solicitation_id: UUID, proposal_id: UUID, reason: str) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        solicitation.declare_nonresponsive(by, self.get_consortium(solicitation.consortium_id), proposal_id, reason)
        self.save(solicitation)
        return solicitation

    def complete_evaluation(self, by: Account, solicitation_id: UUID) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        proposals = {p: self.get_proposal(p) for p in solicitation.responsive_proposal_ids()}
        scores = {}
        for evaluator_id in solicitation.evaluator_ids:
            evaluation = self.find_evaluation(solicitation.id, evaluator_id)
            if evaluation is not None:
                scores[evaluator_id] = evaluation.points()
        solicitation.complete_evaluation(by, self.get_consortium(solicitation.consortium_id), proposals, scores)
        self.save(solicitation)
        return solicitation

    def award(self, by: Account, solicitation_id: UUID, decision: AwardDecision) -> Contract:
        """The one award path for solicited purchases: checks every award rule, then records the
        award on the solicitation and creates its contract, atomically."""
        solicitation = self.get_solicitation(solicitation_id)
        consortium = self.get_consortium(solicitation.consortium_id)
        if decision.proposal_id not in solicitation.opened_proposal_ids:
            raise invalid("proposal_id", "not a proposal opened on this solicitation")
        winner = self.get_proposal(decision.proposal_id)
        seats = solicitation.seats_by_district()
        unit_price = winner.unit_price_for(solicitation.total_seats())
        total = sum((share.amount for share in cost_shares(seats, unit_price)), Decimal("0.00"))
        justification = solicitation.check_award(
            by, consortium, decision, total, winner.pricing.unit, _now().date()
        )
        rejections = tuple(
            {
                "proposal_id": proposal_id,
                "provider_id": self.get_proposal(proposal_id).provider_id,
                "reason": decision.rejections[proposal_id].strip(),
            }
            for proposal_id in solicitation.opened_proposal_ids
            if proposal_id != winner.id
        )
        contract = Contract.award(
            by,
            lead_district_id=consortium.lead_district_id,
            seats_by_district=seats,
            unit_price=unit_price,
            solicitation_id=solicitation.id,
            consortium_id=consortium.id,
            provider_id=winner.provider_id,
            proposal_id=winner.id,
            offering_ids=winner.offering_ids,
            method=solicitation.method,
            method_rationale=decision.method_rationale.strip(),
            contract_type=decision.contract_type,
            selection_reason=decision.selection_reason.strip(),
            rejections=rejections,
            price_basis=decision.price_basis.strip(),
            cost_price_analysis=(decision.cost_price_analysis or "").strip() or None,
            justification=justification,
            term_start=decision.term_start,
            term_end=decision.term_end,
            list_unit_price=winner.pricing.list_price,
            joining_policy=solicitation.joining_policy,
            eligible_district_ids=tuple(consortium.members),
        )
        solicitation.record_award(by, contract.id, winner.id)
        self.save(contract, solicitation)
        return contract

    def cancel_award(
        self, by: Account, solicitation_id: UUID, reason: str, set_aside_winner: bool = False
    ) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        consortium = self.get_consortium(solicitation.consortium_id)
        contract_id = solicitation.cancel_award(by, consortium, reason, set_aside_winner)
        contract = self.get_contract(contract_id)
        contract.cancel_award(by, reason)
        self.save(solicitation, contract)
        return solicitation

    def cancel_solicitation(self, by: Account, solicitation_id: UUID, reason: str) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        solicitation.cancel(by, self.get_consortium(solicitation.consortium_id), reason)
        self.save(solicitation)
        return solicitation

    def declare_unsuccessful(self, by: Account, solicitation_id: UUID, reason: str) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        solicitation.declare_unsuccessful(by, self.get_consortium(solicitation.consortium_id), reason)
        self.save(solicitation)
        return solicitation

    # Proposals and evaluation -------------------------------------------------------------------

    def submit_proposal(
        self, by: Account, solicitation_id: UUID, offering_ids: list[UUID], pricing: Pricing, narrative: str
    ) -> Proposal:
        solicitation = self.get_solicitation(solicitation_id)
        offerings = [self.get_offering(o) for o in offering_ids]
        solicitation.require_open_for_proposals(_now())
        existing = None
        if by.organization_id is not None:
            existing = self.load_optional(Proposal.id_for(solicitation.id, by.organization_id))
        if isinstance(existing, Proposal):
            if not existing.withdrawn:
                raise WrongState(
                    "your provider already has a proposal on this solicitation: revise it instead",
                    {"solicitation_id": ["a proposal from your provider exists"]},
                )
            existing.resubmit(by, solicitation, offerings, pricing, narrative, _now())
            self.save(existing)
            return existing
        proposal = Proposal.submit(by, solicitation, offerings, pricing, narrative, _now())
        self.save(proposal)
        return proposal

    def revise_proposal(
        self,
        by: Account,
        proposal_id: UUID,
        offering_ids: list[UUID] | None,
        pricing: Pricing | None,
        narrative: str | None,
    ) -> Proposal:
        proposal = self.read_proposal(by, proposal_id)
        offerings = None if offering_ids is None else [self.get_offering(o) for o in offering_ids]
        proposal.revise(by, self.get_solicitation(proposal.solicitation_id), offerings, pricing, narrative, _now())
        self.save(proposal)
        return proposal

    def withdraw_proposal(self, by: Account, proposal_id: UUID, reason: str | None) -> Proposal:
        proposal = self.read_proposal(by, proposal_id)
        proposal.withdraw(by, self.get_solicitation(proposal.solicitation_id), reason, _now())
        self.save(proposal)
        return proposal

    def read_proposal(self, by: Account | None, proposal_id: UUID) -> Proposal:
        """A proposal, only to those allowed to see it; to anyone else it does not exist."""
        proposal = self.load_optional(proposal_id)
        if not isinstance(proposal, Proposal):
            raise NotFound(f"proposal {proposal_id} not found")
        if proposal.is_author(by):
            return proposal
        solicitation = self.get_solicitation(proposal.solicitation_id)
        opened = proposal.id in solicitation.opened_proposal_ids  # a withdrawn one never is
        if not opened or not self.may_read_proposals(by, solicitation):
            raise NotFound(f"proposal {proposal_id} not found")
        return proposal

    def may_read_proposals(self, by: Account | None, solicitation: Solicitation) -> bool:
        return solicitation.may_read_proposals(*self._proposal_reader(by, solicitation))

    def require_may_read_proposals(self, by: Account | None, solicitation: Solicitation) -> None:
        solicitation.require_may_read_proposals(*self._proposal_reader(by, solicitation))

    def _proposal_reader(
        self, by: Account | None, solicitation: Solicitation
    ) -> tuple[Account | None, Consortium, bool, datetime]:
        """What the solicitation needs to judge who reads its proposals: the caller, the
        consortium, whether the caller attested, and now."""
        attested = by is not None and self.find_evaluation(solicitation.id, by.id) is not None
        return by, self.get_consortium(solicitation.consortium_id), attested, _now()

    def attest(self, by: Account, solicitation_id: UUID, statement: str) -> Evaluation:
        solicitation = self.get_solicitation(solicitation_id)
        if self.find_evaluation(solicitation.id, by.id) is not None:
            raise WrongState("you have already attested on this solicitation")
        # Empty until the closing opens the proposals; then their providers are the offerors.
        opened = {p: self.get_proposal(p) for p in solicitation.opened_proposal_ids}
        legal_names = {
            p.provider_id: self.provider_legal_name(p.provider_id) for p in opened.values()
        }
        evaluation = Evaluation.attest(by, solicitation, opened, legal_names, statement)
        self.save(evaluation)
        return evaluation

    def score_proposal(
        self, by: Account, solicitation_id: UUID, proposal_id: UUID, scores: list[Score], comment: str | None
    ) -> Evaluation:
        solicitation = self.get_solicitation(solicitation_id)
        evaluation = self.find_evaluation(solicitation.id, by.id)
        if evaluation is None:
            by.require_role(Role.EVALUATOR)
            raise NotAllowed("attest that you have no conflict of interest before scoring")
        evaluation.score(by, solicitation, proposal_id, scores, comment)
        self.save(evaluation)
        return evaluation

    # Contracts ----------------------------------------------------------------------------------

    def sign_contract(self, by: Account, contract_id: UUID, signatory: str) -> Contract:
        contract = self.get_contract(contract_id)
        contract.sign(by, signatory)
        self.save(contract)
        return contract

    def amend_contract(
        self,
        by: Account,
        contract_id: UUID,
        unit_price: Decimal | None,
        term_end: date | None,
        rationale: str,
        cost_price_analysis: str | None = None,
    ) -> Contract:
        contract = self.get_contract(contract_id)
        thresholds = self._award_thresholds(contract)
        contract.amend(
            by, unit_price, term_end, rationale, thresholds, _now().date(), cost_price_analysis
        )
        self.save(contract)
        return contract

    def renew_contract(self, by: Account, contract_id: UUID, term_end: date, rationale: str) -> Contract:
        contract = self.get_contract(contract_id)
        contract.renew(by, term_end, rationale)
        self.save(contract)
        return contract

    def terminate_contract(self, by: Account, contract_id: UUID, reason: str) -> Contract:
        contract = self.get_contract(contract_id)
        contract.terminate(by, reason)
        self.save(contract)
        return contract

    def join_contract(
        self, by: Account, contract_id: UUID, district_id: UUID, seats: int, offering_id: UUID
    ) -> Contract:
        contract = self.get_contract(contract_id)
        self.get_district(district_id)
        thresholds = self._award_thresholds(contract)
        members_now: tuple[UUID, ...] = ()
        if contract.consortium_id is not None:
            members_now = tuple(self.get_consortium(contract.consortium_id).members)
        contract.join(by, district_id, seats, offering_id, _now().date(), thresholds, members_now)
        self.save(contract)
        return contract

    def direct_purchase(
        self,
        by: Account,
        offering_id: UUID,
        demand: list[Seats],
        consortium_id: UUID | None,
        price_reasonableness: str,
        contract_type: ContractType,
        term_start: date,
        term_end: date,
    ) -> Contract:
        """At or below the micro-purchase threshold: order from the catalog at list price, with a
        recorded price-reasonableness note; an award and contract, no solicitation phase."""
        by.require_role(Role.BUYER)
        offering = self.get_offering(offering_id)
        if offering.status is OfferingStatus.DRAFT:  # to a buyer, as to anyone but its provider
            raise NotFound(f"offering {offering_id} not found")
        if offering.status is not OfferingStatus.PUBLISHED or offering.pricing is None:
            raise invalid("offering_id", "must be a published catalog offering with a price")
        require_offering_per_seat(offering.pricing)
        if consortium_id is not None:
            consortium = self.get_consortium(consortium_id)
            consortium.require_lead_buyer(by)
            lead, members, local = consortium.lead_district_id, list(consortium.members), consortium.local_thresholds
        else:
            if by.organization_id is None or not isinstance(self.load_optional(by.organization_id), District):
                raise NotAllowed("a direct purchase is made by a buyer acting for a district")
            lead, members, local = by.organization_id, [by.organization_id], []
        seats: dict[UUID, int] = {}
        for index, line in enumerate(demand):
            if line.district_id not in members:
                raise invalid(f"demand.{index}.district_id", "must be a member district of the buyer")
            validation.seats(f"demand.{index}.seats", line.seats)
            seats[line.district_id] = seats.get(line.district_id, 0) + line.seats
        if not seats:
            raise invalid("demand", "give the seats each district needs")
        today = _now().date()
        thresholds = thresholds_on(today, local)
        unit_price = offering.pricing.list_price
        total = sum((s.amount for s in cost_shares(seats, unit_price)), Decimal("0.00"))
        if total > thresholds.micro_purchase:
            raise InvalidValue(
                f"the total {total} exceeds the micro-purchase threshold "
                f"{thresholds.micro_purchase} in force on {today}: run a solicitation",
                {"demand": [f"total {total} is above the micro-purchase threshold {thresholds.micro_purchase}"]},
            )
        check_term(term_start, term_end, today)
        reasonableness = validation.statement(
            "price_reasonableness", price_reasonableness, asks="say why the price is reasonable"
        )
        note = Justification(NoncompetitiveCase.MICRO_PURCHASE, reasonableness)
        contract = Contract.award(
            by,
            lead_district_id=lead,
            seats_by_district=seats,
            unit_price=unit_price,
            solicitation_id=None,
            consortium_id=consortium_id,
            provider_id=offering.provider_id,
            proposal_id=None,
            offering_ids=(offering.id,),
            method=ProcurementMethod.DIRECT_PURCHASE,
            method_rationale=(
                f"total {total} is at or below the micro-purchase threshold "
                f"{thresholds.micro_purchase} in force on {today}"
            ),
            contract_type=contract_type,
            selection_reason=note.explanation,
            rejections=(),
            price_basis=(
                f"catalog list price {unit_price} {offering.pricing.unit.value.replace('_', ' ')}"
            ),
            cost_price_analysis=None,
            justification=note,
            term_start=term_start,
            term_end=term_end,
            list_unit_price=unit_price,
            joining_policy=JoiningPolicy.NONE,
            eligible_district_ids=(),
        )
        self.save(contract)
        return contract

    # Helpers ------------------------------------------------------------------------------------

    def _award_thresholds(self, contract: Contract) -> Thresholds:
        """The thresholds a contract was awarded under: its solicitation's (those in force on the
        day it was drafted), or for a direct purchase those in force on the day of the order,
        with the stricter local values the consortium had recorded by then where it ordered for
        one (local values recorded later, even with an earlier effective date, did not govern
        that order)."""
        if contract.solicitation_id is not None:
            return self.get_solicitation(contract.solicitation_id).thresholds
        local = []
        if contract.consortium_id is not None:
            then = self.version_at(contract.consortium_id, contract.awarded_at)
            consortium = self._get(Consortium, contract.consortium_id, "consortium", then)
            local = consortium.local_thresholds
        return thresholds_on(contract.awarded_at.date(), local)

    def _expected(self, solicitation_id: UUID, expected_version: int | None) -> Solicitation:
        solicitation = self.get_solicitation(solicitation_id)
        if expected_version is not None and solicitation.version != expected_version:
            raise StaleVersion(
                f"solicitation {solicitation_id} is at version {solicitation.version}, "
                f"not {expected_version}: reload it and retry"
            )
        return solicitation

    def _check_references(self, spec: dict[str, Any]) -> None:
        """Named providers and offerings must exist (offerings: published in the catalog)."""
        for index, provider_id in enumerate(spec.get("invited_provider_ids") or ()):
            if not isinstance(self.load_optional(provider_id), Provider):
                raise invalid(f"invited_provider_ids.{index}", "no such provider")
        for n, line in enumerate(spec.get("lines") or ()):
            for index, offering_id in enumerate(line.offering_ids):
                offering = self.load_optional(offering_id)
                if not isinstance(offering, Offering) or offering.status is not OfferingStatus.PUBLISHED:
                    raise invalid(f"lines.{n}.offering_ids.{index}", "must be a published catalog offering")
