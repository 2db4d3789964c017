"""A consortium's joint solicitation: draft -> published -> closed -> evaluated -> awarded,
or cancelled / unsuccessful. Rules (PRODUCT.md):

1. the method follows from the estimated value and the thresholds in force on the day it is
   drafted; a buyer may only choose a stricter one, or noncompetitive with a justification;
2. a competitive-proposals solicitation publishes criteria whose weights sum to 100 and include
   price; criteria lock at publication and change only by a recorded amendment;
3. proposals are sealed until the deadline (see ``may_read_proposals``);
4. nothing is accepted, revised or withdrawn after the deadline (``is_open_for_proposals``);
6. the ranking is the weighted total of the published criteria (price for sealed bids and quotes);
7. fewer than two responsive proposals on a formal method: award only with a justification;
8. above the simplified acquisition threshold an award needs a cost or price analysis;
9. every award records the method's rationale, contract type, why each offeror was selected or
   rejected, and the basis of the price.

Who may propose (the simplified flow): a request for quotes goes to at least three providers it
invites; a formal method is publicly advertised, open to every provider, so it invites none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from functools import singledispatchmethod
from typing import Any, Iterable
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.solicitations import (
    EvaluatorNamed,
    ProposalDeclaredNonresponsive,
    QuestionAnswered,
    QuestionAsked,
    SolicitationAmended,
    SolicitationAwardCancelled,
    SolicitationAwarded,
    SolicitationCancelled,
    SolicitationClosed,
    SolicitationDeclaredUnsuccessful,
    SolicitationDrafted,
    SolicitationEvaluated,
    SolicitationPublished,
    SolicitationRevised,
)
from events.types import (
    ContractType,
    Criterion,
    JoiningPolicy,
    Justification,
    NeedLine,
    NoncompetitiveCase,
    PriceUnit,
    ProcurementMethod,
    Role,
    Seats,
)
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import term_problems
from marketplace.domain.districts import Consortium
from marketplace.domain.errors import (
    AuthenticationRequired,
    InvalidValue,
    NotAllowed,
    WrongState,
    invalid,
)
from marketplace.domain.pricing import is_per_seat, require_one_seat_unit
from marketplace.domain.thresholds import (
    MIN_QUOTES,
    PRICE_RANKED_METHODS,
    SOLICITATION_CASES,
    check_justification,
    check_solicitation_method,
    is_at_least,
    is_formal,
    required_method,
)


class SolicitationStatus(Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    EVALUATED = "evaluated"
    AWARDED = "awarded"
    CANCELLED = "cancelled"
    UNSUCCESSFUL = "unsuccessful"


SPEC_FIELDS = (
    "title",
    "description",
    "lines",
    "estimated_value",
    "method",
    "justification",
    "criteria",
    "questions_due",
    "proposals_due",
    "joining_policy",
    "invited_provider_ids",
)
AMENDABLE_FIELDS = ("description", "questions_due", "proposals_due", "criteria", "lines")
PRICE_ONLY = (Criterion(name="Price", weight=100, is_price=True),)
MAX_VALUE = Decimal("1000000000")


class ProposalAfterDeadline(WrongState):
    """PRODUCT rule 4: no proposal accepted, revised or withdrawn after the deadline."""


@dataclass(frozen=True)
class AwardDecision:
    """What the lead records to award (rule 9); the contract is priced from the winning proposal."""

    proposal_id: UUID
    contract_type: ContractType
    method_rationale: str
    selection_reason: str
    rejections: dict[UUID, str]
    price_basis: str
    term_start: date
    term_end: date
    cost_price_analysis: str | None = None
    justification: Justification | None = None

    @staticmethod
    def rejections_from(given: Iterable[tuple[UUID, str]]) -> dict[UUID, str]:
        """The reason each other offeror was not selected, by proposal, from (proposal, reason)
        pairs as a request lists them: one reason per proposal, so none is silently dropped."""
        rejections: dict[UUID, str] = {}
        repeated: dict[str, None] = {}
        for proposal_id, reason in given:
            if proposal_id in rejections:
                repeated[str(proposal_id)] = None
            rejections[proposal_id] = reason
        if repeated:
            raise invalid(
                "rejections", f"give one reason per proposal; repeated: {', '.join(repeated)}"
            )
        return rejections


@dataclass
class Question:
    id: UUID
    text: str
    asked_at: datetime
    answer: str | None = None
    answered_at: datetime | None = None


@dataclass
class RankedProposal:
    proposal_id: UUID
    provider_id: UUID
    total: Decimal
    unit_price: Decimal


class Solicitation(Aggregate):
    TOPIC = "marketplace.Solicitation"
    Event = MarketplaceEvent
    Created = SolicitationDrafted

    # Drafting ---------------------------------------------------------------------------------

    @classmethod
    def draft(
        cls, by: Account, consortium: Consortium, spec: dict[str, Any], today: date
    ) -> Solicitation:
        consortium.require_lead_buyer(by)
        unknown = set(spec) - set(SPEC_FIELDS)
        if unknown:
            raise InvalidValue("unknown fields", {k: ["unknown field"] for k in sorted(unknown)})
        thresholds = consortium.thresholds_on(today)
        checked = _check_spec(spec, consortium)
        required = required_method(checked["estimated_value"], thresholds)
        checked["method_chosen"] = checked["method"] is not None
        method = checked.pop("method") or _default_method(required)
        _settle_method(method, required, checked)
        return cls._create(
            SolicitationDrafted,
            id=uuid4(),
            actor=str(by.id),
            consortium_id=consortium.id,
            thresholds=thresholds,
            required_method=required,
            method=method,
            **checked,
        )

    def revise(self, by: Account, consortium: Consortium, changes: dict[str, Any]) -> bool:
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.DRAFT, "be revised (amend it instead)")
        unknown = set(changes) - set(SPEC_FIELDS)
        if unknown:
            raise InvalidValue("unknown fields", {k: ["unknown field"] for k in sorted(unknown)})
        merged = {**self.spec(), **changes}
        chosen = changes["method"] is not None if "method" in changes else self.method_chosen
        if not chosen:
            merged["method"] = None  # the method was never chosen: it follows the value again
        checked = _check_spec(merged, consortium)
        checked["method_chosen"] = chosen
        required = required_method(checked["estimated_value"], self.thresholds)
        method = checked.pop("method") or _default_method(required)
        _settle_method(method, required, checked)
        checked.update(method=method, required_method=required)
        actual = {k: v for k, v in checked.items() if getattr(self, k) != v}
        if not actual:
            return False
        self.trigger_event(SolicitationRevised, actor=str(by.id), changes=actual)
        return True

    def publish(self, by: Account, consortium: Consortium, now: datetime) -> None:
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.DRAFT, "be published")
        problems: dict[str, list[str]] = {}
        if self.proposals_due <= now:
            problems["proposals_due"] = ["must be in the future when the solicitation opens"]
        if self.questions_due <= now:
            problems["questions_due"] = ["must be in the future when the solicitation opens"]
        try:
            _check_criteria_complete(self.method, self.criteria)
        except InvalidValue as error:
            problems.update(error.fields)
        if self.method is ProcurementMethod.REQUEST_FOR_QUOTES and len(self.invited_provider_ids) < MIN_QUOTES:
            problems["invited_provider_ids"] = [
                f"a request for quotes goes to at least {MIN_QUOTES} providers"
            ]
        if is_formal(self.method) and self.invited_provider_ids:  # a draft recorded before the rule
            problems["invited_provider_ids"] = [_FORMAL_INVITES_NONE]
        for district_id in self.departed_districts(consortium):
            problems.setdefault("lines", []).append(f"district {district_id} is no longer a member")
        if problems:
            summary = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(problems.items()))
            raise InvalidValue(f"cannot publish: {summary}", problems)
        self.trigger_event(SolicitationPublished, actor=str(by.id))

    def amend(
        self,
        by: Account,
        consortium: Consortium,
        changes: dict[str, Any],
        rationale: str,
        now: datetime,
    ) -> None:
        """A change after publication (before the deadline), recorded with its rationale."""
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.PUBLISHED, "be amended")
        if not self.is_open_for_proposals(now):
            raise ProposalAfterDeadline("the deadline has passed: the solicitation can no longer change")
        rationale = validation.required_text("rationale", rationale, max_length=5000)
        not_amendable = set(changes) - set(AMENDABLE_FIELDS)
        if not_amendable:
            raise InvalidValue(
                "only description, dates, criteria and lines can be amended",
                {k: ["cannot be amended after publication"] for k in sorted(not_amendable)},
            )
        merged = {**self.spec(), **changes}
        checked = _check_spec(merged, consortium)
        for due in ("proposals_due", "questions_due"):
            if due in changes and checked[due] <= now:  # a date already past stays as it was
                raise invalid(due, "must stay in the future")
        if checked["proposals_due"] <= now:
            raise invalid("proposals_due", "must stay in the future")
        _check_criteria_complete(self.method, checked["criteria"])
        actual = {k: checked[k] for k in changes if getattr(self, k) != checked[k]}
        if not actual:
            raise invalid("changes", "the amendment changes nothing")
        self.trigger_event(SolicitationAmended, actor=str(by.id), changes=actual, rationale=rationale)

    # Questions and evaluators -----------------------------------------------------------------

    def require_may_respond(self, by: Account, doing: str) -> None:
        """A provider account responds (proposes, asks) for its registered provider, and only
        as an invited one when the solicitation invites providers (a request for quotes)."""
        if by.organization_id is None:
            raise NotAllowed(f"register your provider before {doing}")
        if self.invited_provider_ids and by.organization_id not in self.invited_provider_ids:
            method = self.method.value.replace("_", " ")
            raise NotAllowed(f"this solicitation ({method}) is open to its invited providers only")

    def ask_question(self, by: Account, text: str, now: datetime) -> UUID:
        """A registered provider that may propose asks (an invited one, when the solicitation
        invites); its answer is given to all."""
        by.require_role(Role.PROVIDER)
        self.require_may_respond(by, "asking questions")
        self._require_status(SolicitationStatus.PUBLISHED, "be asked questions")
        if now >= self.questions_due:
            raise WrongState("questions were due by " + self.questions_due.isoformat())
        question_id = uuid4()
        self.trigger_event(
            QuestionAsked,
            actor=str(by.id),
            question_id=question_id,
            text=validation.required_text("text", text, max_length=5000),
        )
        return question_id

    def answer_question(
        self, by: Account, consortium: Consortium, question_id: UUID, answer: str, now: datetime
    ) -> None:
        """Answers inform proposals, so they are given while proposals are still accepted."""
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.PUBLISHED, "have its questions answered")
        if self.is_past_deadline(now):
            raise WrongState(
                "questions are answered before the proposals deadline, "
                f"{self.proposals_due.isoformat()}; this solicitation is past it"
            )
        question = self.questions.get(question_id)
        if question is None:
            raise invalid("question_id", "no such question on this solicitation")
        if question.answer is not None:
            raise WrongState("this question is already answered; amend the solicitation to change it")
        self.trigger_event(
            QuestionAnswered,
            actor=str(by.id),
            question_id=question_id,
            answer=validation.required_text("answer", answer, max_length=10000),
        )

    def name_evaluator(self, by: Account, consortium: Consortium, evaluator: Account) -> None:
        self._require_lead(by, consortium)
        if self.status not in (
            SolicitationStatus.DRAFT,
            SolicitationStatus.PUBLISHED,
            SolicitationStatus.CLOSED,
        ):
            raise WrongState(f"evaluators are named before evaluation ends; this is {self.status.value}")
        if evaluator.role is not Role.EVALUATOR:
            raise invalid("account_id", "must be an account with the evaluator role")
        if evaluator.id in self.evaluator_ids:
            raise WrongState("this evaluator is already named")
        self.trigger_event(EvaluatorNamed, actor=str(by.id), account_id=evaluator.id)

    # The deadline -----------------------------------------------------------------------------

    def is_open_for_proposals(self, now: datetime) -> bool:
        return self.status is SolicitationStatus.PUBLISHED and now < self.proposals_due

    def require_open_for_proposals(self, now: datetime) -> None:
        if self.is_open_for_proposals(now):
            return
        if self.status in (SolicitationStatus.DRAFT, SolicitationStatus.CANCELLED) or (
            now < self.proposals_due
        ):
            raise WrongState(f"the solicitation is {self.status.value}, not open for proposals")
        raise ProposalAfterDeadline(
                f"proposals were due by {self.proposals_due.isoformat()}; nothing is accepted, "
                "revised or withdrawn after the deadline"
            )

    def is_past_deadline(self, now: datetime) -> bool:
        return self.status is not SolicitationStatus.DRAFT and now >= self.proposals_due

    def close(self, now: datetime, proposal_ids: Iterable[UUID]) -> None:
        """Record the deadline's passing and which proposals were opened (the scheduler's job)."""
        self._require_status(SolicitationStatus.PUBLISHED, "be closed")
        if now < self.proposals_due:
            raise WrongState("the deadline has not passed yet")
        self.trigger_event(
            SolicitationClosed,
            actor="system:scheduler",
            timestamp=max(now, self.proposals_due),
            opened_proposal_ids=tuple(sorted(set(proposal_ids), key=str)),
        )

    def is_visible_to(self, account: Account | None, consortium: Consortium) -> bool:
        """A draft is the lead's work in progress: visible to its buyers only. Once published,
        a solicitation is public record."""
        return self.status is not SolicitationStatus.DRAFT or consortium.is_lead_buyer(account)

    def reveals_evaluation_to(self, account: Account | None, consortium: Consortium) -> bool:
        """The evaluation's results (its evaluators, the proposals declared nonresponsive and why,
        the ranking with every offeror's total and price) are the lead's buyers' until the award;
        the award makes them public record."""
        return self.status is SolicitationStatus.AWARDED or consortium.is_lead_buyer(account)

    def may_read_proposals(
        self, account: Account | None, consortium: Consortium, attested: bool, now: datetime
    ) -> bool:
        """Sealed until the deadline (an author reads its own, see Proposal); afterwards the lead's
        buyers and evaluators who attested no conflict of interest."""
        if account is None or not self.is_past_deadline(now):
            return False
        if consortium.is_lead_buyer(account):
            return True
        return account.role is Role.EVALUATOR and account.id in self.evaluator_ids and attested

    def require_may_read_proposals(
        self, account: Account | None, consortium: Consortium, attested: bool, now: datetime
    ) -> None:
        """Refuse, saying why, whoever ``may_read_proposals`` would not let read them."""
        if account is None:
            raise AuthenticationRequired(
                "reading proposals needs an account: send 'Authorization: Bearer <token>'"
            )
        if not self.is_past_deadline(now):
            raise NotAllowed(
                "proposals are sealed until the deadline: nobody reads them before it, "
                "the lead's buyers included"
            )
        if not self.may_read_proposals(account, consortium, attested, now):
            raise NotAllowed(
                "after the deadline only the lead district's buyers and named evaluators who "
                "attested no conflict of interest read the proposals"
            )
        if self.status is SolicitationStatus.PUBLISHED:  # past the deadline, not yet closed
            raise WrongState(
                f"the deadline passed at {self.proposals_due.isoformat()}; the proposals are "
                "opened when its closing is recorded, within a minute (the scheduler): try again "
                "then"
            )

    # Evaluation -------------------------------------------------------------------------------

    def declare_nonresponsive(
        self, by: Account, consortium: Consortium, proposal_id: UUID, reason: str
    ) -> None:
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.CLOSED, "be used to judge responsiveness")
        if proposal_id not in self.opened_proposal_ids:
            raise invalid("proposal_id", "not a proposal opened on this solicitation")
        if proposal_id in self.nonresponsive:
            raise WrongState("already declared nonresponsive")
        self.trigger_event(
            ProposalDeclaredNonresponsive,
            actor=str(by.id),
            proposal_id=proposal_id,
            reason=validation.required_text("reason", reason, max_length=5000),
        )

    def responsive_proposal_ids(self) -> list[UUID]:
        return [p for p in self.opened_proposal_ids if p not in self.nonresponsive]

    def complete_evaluation(
        self,
        by: Account,
        consortium: Consortium,
        proposals: dict[UUID, Any],
        scores: dict[UUID, dict[UUID, dict[str, Decimal]]],
    ) -> None:
        """Rank the responsive proposals. ``scores[evaluator][proposal][criterion]`` holds points
        (0-100) from evaluators who attested; price-ranked methods rank by unit price instead.
        Every responsive proposal is priced in the same unit per seat: the demand's seats are of
        one kind, and prices in different units cannot be ranked against each other."""
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.CLOSED, "be evaluated")
        responsive = self.responsive_proposal_ids()
        require_one_seat_unit((p, proposals[p].pricing) for p in responsive)
        ranked: list[RankedProposal] = []
        if self.method in PRICE_RANKED_METHODS or self.method is ProcurementMethod.NONCOMPETITIVE:
            for proposal_id in responsive:
                proposal = proposals[proposal_id]
                price = proposal.unit_price_for(self.total_seats())
                ranked.append(RankedProposal(proposal_id, proposal.provider_id, price, price))
            ranked.sort(key=lambda r: (r.unit_price, str(r.proposal_id)))
        else:
            evaluators = [e for e in self.evaluator_ids if e in scores]
            if responsive and not evaluators:
                raise WrongState("no named evaluator has attested and scored yet")
            weights = {c.name: Decimal(c.weight) for c in self.criteria}
            exact: dict[UUID, Decimal] = {}
            for proposal_id in responsive:
                missing = [str(e) for e in evaluators if proposal_id not in scores[e]]
                if missing:
                    raise WrongState(
                        f"proposal {proposal_id} is not yet scored by evaluator(s) {', '.join(missing)}"
                    )
                totals = [
                    sum(weights[c] * points for c, points in scores[e][proposal_id].items()) / 100
                    for e in evaluators
                ]
                exact[proposal_id] = sum(totals, Decimal(0)) / len(totals)
                proposal = proposals[proposal_id]
                ranked.append(
                    RankedProposal(
                        proposal_id,
                        proposal.provider_id,
                        exact[proposal_id].quantize(validation.CENT),  # as shown and recorded
                        proposal.unit_price_for(self.total_seats()),
                    )
                )
            # Ranked on the exact weighted total: two shown alike to the cent may differ.
            ranked.sort(key=lambda r: (-exact[r.proposal_id], r.unit_price, str(r.proposal_id)))
        self.trigger_event(
            SolicitationEvaluated,
            actor=str(by.id),
            ranking=tuple(
                {
                    "proposal_id": r.proposal_id,
                    "provider_id": r.provider_id,
                    "total": r.total,
                    "unit_price": r.unit_price,
                }
                for r in ranked
            ),
        )

    # Award ------------------------------------------------------------------------------------

    def check_award(
        self,
        by: Account,
        consortium: Consortium,
        decision: AwardDecision,
        total_value: Decimal,
        winner_unit: PriceUnit,
        today: date,
    ) -> Justification | None:
        """Every award rule (7, 8, 9), the demand's districts still members of the consortium,
        the winner priced per seat, and a sound term (``today``: the day of the award), checked
        before anything is recorded."""
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.EVALUATED, "be awarded")
        if not self.ranking:
            raise WrongState("no responsive proposal to award; declare the solicitation unsuccessful")
        following = self.next_in_ranking()
        if following is None:
            raise WrongState(
                "every ranked proposal was set aside after a cancelled award; declare the "
                "solicitation unsuccessful"
            )
        self._require_demand_from_members(consortium)
        if decision.proposal_id != following["proposal_id"]:
            aside = " not set aside" if self.set_aside else ""
            raise InvalidValue(
                f"the award goes to the highest-ranked responsive proposal{aside}",
                {
                    "proposal_id": [
                        f"the highest-ranked proposal{aside} is {following['proposal_id']}"
                    ]
                },
            )
        if not is_per_seat(winner_unit):
            # Only a ranking recorded before proposals had to be priced per seat can hold one.
            raise invalid(
                "proposal_id",
                f"is priced {winner_unit.value}, not per seat: its price times the seats is not "
                "the contract's value; cancel this solicitation and solicit again",
            )
        problems: dict[str, list[str]] = {}
        for name in ("method_rationale", "selection_reason", "price_basis"):
            if not (getattr(decision, name) or "").strip():
                problems[name] = ["required on every award"]
        others = set(self.opened_proposal_ids) - {decision.proposal_id}
        unexplained = sorted(str(p) for p in others if not (decision.rejections.get(p) or "").strip())
        if unexplained:
            problems["rejections"] = [f"give the reason each other offeror was not selected: {', '.join(unexplained)}"]
        extra = sorted(str(p) for p in set(decision.rejections) - others)
        if extra:
            problems.setdefault("rejections", []).append(f"not offerors here: {', '.join(extra)}")
        value = max(total_value, self.estimated_value)
        needed = required_method(total_value, self.thresholds)
        if self.method is not ProcurementMethod.NONCOMPETITIVE and not is_at_least(self.method, needed):
            problems["proposal_id"] = [
                f"the award value {total_value} requires {needed.value}; this solicitation used "
                f"{self.method.value}: solicit again with a stricter method"
            ]
        if value > self.thresholds.simplified_acquisition and not (decision.cost_price_analysis or "").strip():
            problems["cost_price_analysis"] = [
                f"required above the simplified acquisition threshold ({self.thresholds.simplified_acquisition})"
            ]
        problems.update(term_problems(decision.term_start, decision.term_end, today))
        if problems:
            summary = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(problems.items()))
            raise InvalidValue(f"the award record is incomplete: {summary}", problems)
        justification = self.justification
        responsive = len(self.responsive_proposal_ids())
        if is_formal(self.method) and responsive < 2:
            if decision.justification is None:
                raise invalid(
                    "justification",
                    f"{self.method.value.replace('_', ' ')} drew {responsive} responsive "
                    "proposal(s), fewer than two: the award needs a recorded noncompetitive "
                    "justification (such as inadequate_competition)",
                )
            justification = check_justification(
                decision.justification, {NoncompetitiveCase.INADEQUATE_COMPETITION, *SOLICITATION_CASES}
            )
        return justification

    def _require_demand_from_members(self, consortium: Consortium) -> None:
        """The contract gives each district in the demand seats and a cost share: a district
        that left the consortium since the demand was set must not be bound by it. After the
        deadline the demand can no longer be amended (the proposals priced it), so the way on
        is the district rejoining, or a new solicitation without its demand."""
        departed = self.departed_districts(consortium)
        if not departed:
            return
        names = ", ".join(str(d) for d in departed)
        raise InvalidValue(
            f"district(s) {names} left the consortium after this demand was set: the award would "
            "give them seats and a cost share in the contract. Award once they have rejoined the "
            "consortium, or cancel this solicitation and solicit again without their demand (the "
            "demand can be amended only before the proposals deadline)",
            {"lines": [f"district {d} is no longer a member of the consortium" for d in departed]},
        )

    def record_award(self, by: Account, contract_id: UUID, proposal_id: UUID) -> None:
        self.trigger_event(
            SolicitationAwarded, actor=str(by.id), contract_id=contract_id, proposal_id=proposal_id
        )

    def cancel_award(
        self, by: Account, consortium: Consortium, reason: str, set_aside_winner: bool = False
    ) -> UUID:
        """Cancel the award before signature, with a reason; the solicitation is evaluated
        again. To correct the award record, award the same proposal again. With
        ``set_aside_winner`` (the winner would not sign, or could not perform) the awarded
        proposal is set aside, and the next award goes to the next-ranked responsive one."""
        self._require_lead(by, consortium)
        self._require_status(SolicitationStatus.AWARDED, "have its award cancelled")
        contract_id = self.contract_id
        assert contract_id is not None  # an awarded solicitation always has its contract
        self.trigger_event(
            SolicitationAwardCancelled,
            actor=str(by.id),
            contract_id=contract_id,
            reason=validation.required_text("reason", reason, max_length=5000),
            set_aside_proposal_id=self.awarded_proposal_id if set_aside_winner else None,
        )
        return contract_id

    def next_in_ranking(self) -> dict[str, Any] | None:
        """The highest-ranked responsive proposal not set aside after a cancelled award."""
        return next((r for r in self.ranking if r["proposal_id"] not in self.set_aside), None)

    def cancel(self, by: Account, consortium: Consortium, reason: str) -> None:
        self._require_lead(by, consortium)
        if self.status in (
            SolicitationStatus.AWARDED,
            SolicitationStatus.CANCELLED,
            SolicitationStatus.UNSUCCESSFUL,
        ):
            raise WrongState(f"a solicitation that is {self.status.value} cannot be cancelled")
        self.trigger_event(
            SolicitationCancelled,
            actor=str(by.id),
            reason=validation.required_text("reason", reason, max_length=5000),
        )

    def declare_unsuccessful(self, by: Account, consortium: Consortium, reason: str) -> None:
        self._require_lead(by, consortium)
        if self.status not in (SolicitationStatus.CLOSED, SolicitationStatus.EVALUATED):
            raise WrongState("only a closed or evaluated solicitation can be declared unsuccessful")
        self.trigger_event(
            SolicitationDeclaredUnsuccessful,
            actor=str(by.id),
            reason=validation.required_text("reason", reason, max_length=5000),
        )

    # Reading ----------------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SPEC_FIELDS}

    def total_seats(self) -> int:
        return sum(s.seats for line in self.lines for s in line.demand)

    def seats_by_district(self) -> dict[UUID, int]:
        totals: dict[UUID, int] = {}
        for line in self.lines:
            for s in line.demand:
                totals[s.district_id] = totals.get(s.district_id, 0) + s.seats
        return totals

    def departed_districts(self, consortium: Consortium) -> list[UUID]:
        """Districts in the demand that are no longer members of the consortium, in order."""
        demand = dict.fromkeys(s.district_id for line in self.lines for s in line.demand)
        return [d for d in demand if d not in consortium.members]

    def offering_ids(self) -> tuple[UUID, ...]:
        return tuple(dict.fromkeys(o for line in self.lines for o in line.offering_ids))

    def _require_lead(self, by: Account, consortium: Consortium) -> None:
        if consortium.id != self.consortium_id:
            raise NotAllowed("this solicitation belongs to another consortium")
        consortium.require_lead_buyer(by)

    def _require_status(self, status: SolicitationStatus, doing: str) -> None:
        if self.status is not status:
            article = "an" if status.value[0] in "aeiou" else "a"
            raise WrongState(
                f"only {article} {status.value} solicitation can {doing}; "
                f"this one is {self.status.value}"
            )

    # Applying events --------------------------------------------------------------------------

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: SolicitationDrafted) -> None:
        self.consortium_id = event.consortium_id
        self.thresholds = event.thresholds
        self.required_method = event.required_method
        self.method_chosen = event.method_chosen
        for name in SPEC_FIELDS:
            self._set(name, getattr(event, name))
        self.status = SolicitationStatus.DRAFT
        self.questions: dict[UUID, Question] = {}
        self.evaluator_ids: list[UUID] = []
        self.opened_proposal_ids: tuple[UUID, ...] = ()
        self.nonresponsive: dict[UUID, str] = {}
        self.ranking: tuple[dict[str, Any], ...] = ()
        self.contract_id: UUID | None = None
        self.awarded_proposal_id: UUID | None = None
        self.set_aside: frozenset[UUID] = frozenset()
        self.published_at: datetime | None = None
        self.amendments = 0

    @when.register
    def _(self, event: SolicitationRevised) -> None:
        for name, value in event.changes.items():
            self._set(name, value)

    @when.register
    def _(self, event: SolicitationPublished) -> None:
        self.status = SolicitationStatus.PUBLISHED
        self.published_at = event.timestamp

    @when.register
    def _(self, event: SolicitationAmended) -> None:
        for name, value in event.changes.items():
            self._set(name, value)
        self.amendments += 1

    @when.register
    def _(self, event: QuestionAsked) -> None:
        self.questions[event.question_id] = Question(event.question_id, event.text, event.timestamp)

    @when.register
    def _(self, event: QuestionAnswered) -> None:
        question = self.questions[event.question_id]
        question.answer = event.answer
        question.answered_at = event.timestamp

    @when.register
    def _(self, event: EvaluatorNamed) -> None:
        self.evaluator_ids.append(event.account_id)

    @when.register
    def _(self, event: SolicitationClosed) -> None:
        self.status = SolicitationStatus.CLOSED
        self.opened_proposal_ids = tuple(event.opened_proposal_ids)

    @when.register
    def _(self, event: ProposalDeclaredNonresponsive) -> None:
        self.nonresponsive[event.proposal_id] = event.reason

    @when.register
    def _(self, event: SolicitationEvaluated) -> None:
        self.status = SolicitationStatus.EVALUATED
        self.ranking = tuple(event.ranking)

    @when.register
    def _(self, event: SolicitationAwarded) -> None:
        self.status = SolicitationStatus.AWARDED
        self.contract_id = event.contract_id
        self.awarded_proposal_id = event.proposal_id

    @when.register
    def _(self, event: SolicitationAwardCancelled) -> None:
        self.status = SolicitationStatus.EVALUATED
        self.contract_id = None
        self.awarded_proposal_id = None
        if event.set_aside_proposal_id is not None:
            self.set_aside = self.set_aside | {event.set_aside_proposal_id}

    @when.register
    def _(self, event: SolicitationCancelled) -> None:
        self.status = SolicitationStatus.CANCELLED

    @when.register
    def _(self, event: SolicitationDeclaredUnsuccessful) -> None:
        self.status = SolicitationStatus.UNSUCCESSFUL

    def _set(self, name: str, value: Any) -> None:
        # Stored tuples read back as lists: hold tuples, so reloaded state equals saved state.
        if name in ("lines", "criteria", "invited_provider_ids") and value is not None:
            value = tuple(value)
        setattr(self, name, value)


# Checking a specification -----------------------------------------------------------------------

_FORMAL_INVITES_NONE = (
    "a formal method is publicly advertised and open to every provider: it invites none"
)


def _settle_method(
    method: ProcurementMethod, required: ProcurementMethod, checked: dict[str, Any]
) -> None:
    check_solicitation_method(method, required, checked["justification"])
    if is_formal(method) and checked["invited_provider_ids"]:
        raise invalid("invited_provider_ids", _FORMAL_INVITES_NONE)
    if method is not ProcurementMethod.NONCOMPETITIVE:
        checked["justification"] = None
    if method in PRICE_RANKED_METHODS and not checked["criteria"]:
        checked["criteria"] = PRICE_ONLY


def _default_method(required: ProcurementMethod) -> ProcurementMethod:
    if required is ProcurementMethod.DIRECT_PURCHASE:
        return ProcurementMethod.REQUEST_FOR_QUOTES  # soliciting is stricter than buying direct
    return required


def _check_spec(spec: dict[str, Any], consortium: Consortium) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}

    def check(name: str, fn: Any) -> Any:
        try:
            return fn()
        except InvalidValue as error:
            for key, messages in error.fields.items():
                problems.setdefault(key, []).extend(messages)
            return None

    checked: dict[str, Any] = {
        "title": check("title", lambda: validation.required_text("title", spec.get("title"), max_length=300)),
        "description": check(
            "description",
            lambda: validation.text("description", spec.get("description"), required=False, max_length=20000),
        ),
        "lines": check("lines", lambda: _check_lines(spec.get("lines") or (), consortium)),
        "estimated_value": check("estimated_value", lambda: _check_value(spec.get("estimated_value"))),
        "method": spec.get("method"),
        "justification": spec.get("justification"),
        "criteria": check("criteria", lambda: _check_criteria_shape(spec.get("criteria") or ())),
        "questions_due": spec.get("questions_due"),
        "proposals_due": spec.get("proposals_due"),
        "joining_policy": spec.get("joining_policy") or JoiningPolicy.NONE,
        "invited_provider_ids": tuple(dict.fromkeys(spec.get("invited_provider_ids") or ())),
    }
    for name in ("questions_due", "proposals_due"):
        moment = checked[name]
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            problems.setdefault(name, []).append("required, as a date and time with its time zone")
        elif not _within_deadline_years(moment):
            problems.setdefault(name, []).append(
                f"must fall in the years {DEADLINE_YEARS[0]} to {DEADLINE_YEARS[-1]} (UTC)"
            )
    if not problems and checked["questions_due"] >= checked["proposals_due"]:
        problems["questions_due"] = ["must be before proposals_due"]
    if problems:
        summary = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(problems.items()))
        raise InvalidValue(summary, problems)
    return checked


DEADLINE_YEARS = range(2000, 2100)
"""The years a deadline may fall in, in UTC. A moment near either end of the calendar may not
even have a UTC time (9999-12-31 at -05:00 is in the year 10000): recorded, no read model could
apply it and no scheduler could compare it."""


def _within_deadline_years(moment: datetime) -> bool:
    try:
        return moment.astimezone(timezone.utc).year in DEADLINE_YEARS
    except OverflowError:
        return False


def _check_value(value: Decimal | None) -> Decimal:
    if value is None:
        raise invalid("estimated_value", "required")
    if not value.is_finite() or value <= 0 or value > MAX_VALUE:
        raise invalid("estimated_value", "must be a positive amount in USD")
    if not validation.in_whole_cents(value):
        raise invalid("estimated_value", "must be in whole cents")
    return validation.cents(value)


def _check_lines(lines: Iterable[NeedLine], consortium: Consortium) -> tuple[NeedLine, ...]:
    lines = tuple(lines)
    if not lines:
        raise invalid("lines", "at least one line of need, with demand per member district")
    checked = []
    for index, line in enumerate(lines):
        key = f"lines.{index}"
        description = validation.required_text(f"{key}.description", line.description, max_length=2000)
        if line.category is None and not line.offering_ids:
            raise invalid(key, "name a category or one or more catalog offerings")
        if not line.demand:
            raise invalid(f"{key}.demand", "give the seats each member district needs")
        seen: set[UUID] = set()
        for n, seats in enumerate(line.demand):
            if seats.district_id not in consortium.members:
                raise invalid(f"{key}.demand.{n}.district_id", "must be a member district of the consortium")
            if seats.district_id in seen:
                raise invalid(f"{key}.demand.{n}.district_id", "appears twice on this line")
            validation.seats(f"{key}.demand.{n}.seats", seats.seats)
            seen.add(seats.district_id)
        checked.append(
            NeedLine(
                description=description,
                category=line.category,
                offering_ids=tuple(dict.fromkeys(line.offering_ids)),
                demand=tuple(Seats(s.district_id, s.seats) for s in line.demand),
            )
        )
    return tuple(checked)


def _check_criteria_shape(criteria: Iterable[Criterion]) -> tuple[Criterion, ...]:
    criteria = tuple(criteria)
    names = [c.name.strip() for c in criteria]
    if len(set(n.lower() for n in names)) != len(names):
        raise invalid("criteria", "names must be unique")
    for index, criterion in enumerate(criteria):
        if not criterion.name.strip():
            raise invalid(f"criteria.{index}.name", "must not be blank")
        if not 1 <= criterion.weight <= 100:
            raise invalid(f"criteria.{index}.weight", "must be a whole number from 1 to 100")
    return tuple(
        Criterion(c.name.strip(), c.weight, c.is_price, (c.description or "").strip() or None)
        for c in criteria
    )


def _check_criteria_complete(method: ProcurementMethod, criteria: tuple[Criterion, ...]) -> None:
    """Rule 2: published criteria have weights summing to 100, and price is one of them."""
    if method is ProcurementMethod.NONCOMPETITIVE:
        return
    if method in PRICE_RANKED_METHODS:
        if criteria and criteria != PRICE_ONLY:
            raise invalid("criteria", f"{method.value} is decided on price alone: use only Price at 100")
        return
    problems: dict[str, list[str]] = {}
    if not criteria:
        problems["criteria"] = ["competitive proposals publish their criteria and weights"]
    else:
        total = sum(c.weight for c in criteria)
        if total != 100:
            problems["criteria"] = [f"weights must sum to 100, not {total}"]
        if not any(c.is_price for c in criteria):
            problems.setdefault("criteria", []).append("price must be one of the criteria")
    if problems:
        raise InvalidValue("; ".join(problems["criteria"]), problems)
