"""The contract an award creates: one award path for every method, priced at the volume tier the
pooled seats reach, with each member district's allocation and cost share (they sum exactly to
the contract value). Signed by the provider; amended, renewed, terminated by events; an award is
corrected by cancelling it (before signature) and awarding again, never edited in place. Other
districts may join an active contract when its solicitation allowed it. The award rules on value
(PRODUCT rules 1 and 8) hold for the contract's value as amendments and joins change it: it stays
within what its method allows under the thresholds the award was made under, and above the
simplified acquisition threshold a raise needs a recorded cost or price analysis. A party district
grants the provider access to its students' data only under a signed privacy agreement covering
it.
"""

from __future__ import annotations

from datetime import date, timezone
from decimal import Decimal
from enum import Enum
from functools import singledispatchmethod
from typing import Any, Collection
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.contracts import (
    ContractAmended,
    ContractAwardCancelled,
    ContractAwarded,
    ContractRenewed,
    ContractSigned,
    ContractTerminated,
    DistrictJoinedContract,
    StudentDataAccessGranted,
)
from events.types import CostShare, JoiningPolicy, ProcurementMethod, Role, Thresholds
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.errors import InvalidValue, NotAllowed, WrongState, invalid
from marketplace.domain.offerings import MAX_PRICE
from marketplace.domain.thresholds import is_at_least, required_method

CENT = validation.CENT
MAX_UNIT_PRICE = MAX_PRICE
"""A contract's price per unit is bounded as an offering's list price is."""


class PrivacyAgreementRequired(WrongState):
    """Student data access needs the provider's signed privacy agreement covering the district
    on the day (PRODUCT rule 11). A conflict with the current state (409), not a permission
    problem: the caller may grant, and can once the provider records a covering agreement."""


class ContractStatus(Enum):
    AWAITING_SIGNATURE = "awaiting_signature"
    ACTIVE = "active"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


_A_CONTRACT = {
    ContractStatus.AWAITING_SIGNATURE: "a contract awaiting signature",
    ContractStatus.ACTIVE: "an active contract",
    ContractStatus.TERMINATED: "a terminated contract",
    ContractStatus.CANCELLED: "a cancelled contract",
}


def cost_shares(seats_by_district: dict[UUID, int], unit_price: Decimal) -> tuple[CostShare, ...]:
    """Each district pays its seats at the pooled unit price: whole cents, so the shares add up
    to the contract value exactly, with nothing to round or redistribute."""
    return tuple(
        CostShare(district_id, seats, unit_price, (unit_price * seats).quantize(CENT))
        for district_id, seats in sorted(seats_by_district.items(), key=lambda item: str(item[0]))
    )


TERM_STARTS_FROM_YEARS_BEFORE = 2  # a contract in force since last school year may be recorded
TERM_STARTS_UP_TO_YEARS_AFTER = 5
MAX_TERM_YEARS = 10


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (or earlier); 29 February becomes the 28th in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_term_end(term_start: date) -> date:
    return years_after(term_start, MAX_TERM_YEARS)


def term_problems(term_start: date, term_end: date, today: date) -> dict[str, list[str]]:
    """A term recorded ``today`` starts from two years before it to five years after it, ends
    after it starts, and lasts at most ten years; the problems by field, none if it is sound."""
    earliest = years_after(today, -TERM_STARTS_FROM_YEARS_BEFORE)
    latest = years_after(today, TERM_STARTS_UP_TO_YEARS_AFTER)
    problems: dict[str, list[str]] = {}
    if not earliest <= term_start <= latest:
        problems["term_start"] = [
            f"must be from {earliest.isoformat()} to {latest.isoformat()} "
            f"({TERM_STARTS_FROM_YEARS_BEFORE} years before today to "
            f"{TERM_STARTS_UP_TO_YEARS_AFTER} years after it)"
        ]
    if term_end <= term_start:
        problems["term_end"] = ["must be after term_start"]
    elif "term_start" not in problems and term_end > latest_term_end(term_start):
        problems["term_end"] = [
            f"a term lasts at most {MAX_TERM_YEARS} years: "
            f"end by {latest_term_end(term_start).isoformat()}"
        ]
    return problems


def check_term(term_start: date, term_end: date, today: date) -> None:
    problems = term_problems(term_start, term_end, today)
    if problems:
        summary = "; ".join(f"{field}: {' '.join(text)}" for field, text in problems.items())
        raise InvalidValue(summary, problems)


class Contract(Aggregate):
    TOPIC = "marketplace.Contract"
    Event = MarketplaceEvent
    Created = ContractAwarded

    @classmethod
    def award(
        cls,
        by: Account,
        *,
        lead_district_id: UUID,
        seats_by_district: dict[UUID, int],
        unit_price: Decimal,
        **record: Any,
    ) -> Contract:
        """Record an award and create its contract; the caller has checked the award rules."""
        by.require_role(Role.BUYER)
        if not by.acts_for(lead_district_id):
            raise NotAllowed("only a buyer of the lead district can award")
        if not seats_by_district or any(s <= 0 for s in seats_by_district.values()):
            raise invalid("allocations", "every party district needs at least one seat")
        allocations = cost_shares(seats_by_district, unit_price)
        return cls._create(
            ContractAwarded,
            id=uuid4(),
            actor=str(by.id),
            lead_district_id=lead_district_id,
            unit_price=unit_price,
            allocations=allocations,
            total_value=sum((a.amount for a in allocations), Decimal("0.00")),
            **record,
        )

    @property
    def runs_until(self) -> date:
        """The last day the contract runs, or ran: its term's end, or its termination's day
        when that came first."""
        if self.terminated_on is not None and self.terminated_on < self.term_end:
            return self.terminated_on
        return self.term_end

    def _check_term_length(self, term_end: date) -> None:
        if term_end > latest_term_end(self.term_start):
            raise invalid(
                "term_end",
                f"a term lasts at most {MAX_TERM_YEARS} years, renewals included: "
                f"end by {latest_term_end(self.term_start).isoformat()}",
            )

    def sign(self, by: Account, signatory: str) -> None:
        by.require_role(Role.PROVIDER)
        if not by.acts_for(self.provider_id):
            raise NotAllowed("only the awarded provider signs its contract")
        self._require(ContractStatus.AWAITING_SIGNATURE, "signed")
        self.trigger_event(
            ContractSigned,
            actor=str(by.id),
            signatory=validation.required_text("signatory", signatory, max_length=200),
        )

    def amend(
        self,
        by: Account,
        unit_price: Decimal | None,
        term_end: date | None,
        rationale: str,
        thresholds: Thresholds,
        today: date,
        cost_price_analysis: str | None = None,
    ) -> None:
        """A new unit price or term end, with a rationale. A term is not ended in the past by an
        amendment (the days it ran, districts joined and data accessed stand): it ends today at
        the earliest, or the contract is terminated. ``thresholds``: those the award was made
        under (the application looks them up). A new price is checked as an award would be: the
        value must stay within the contract's method, and a raise that leaves it above the
        simplified acquisition threshold needs a cost or price analysis, recorded with it (an
        amendment may also record one alone, before districts join past that threshold)."""
        self._require_buyer(by)
        self._require(ContractStatus.ACTIVE, "amended")
        rationale = validation.required_text("rationale", rationale, max_length=5000)
        analysis = validation.text(
            "cost_price_analysis", cost_price_analysis, required=False, max_length=20000
        )
        changes: dict[str, Any] = {}
        if unit_price is not None and unit_price != self.unit_price:
            if not 0 <= unit_price <= MAX_UNIT_PRICE or not validation.in_whole_cents(unit_price):
                raise invalid("unit_price", f"must be from 0 to {MAX_UNIT_PRICE}, in whole cents")
            unit_price = validation.cents(unit_price)  # "356.9" is recorded as 356.90
            shares = cost_shares({a.district_id: a.seats for a in self.allocations}, unit_price)
            total = sum((a.amount for a in shares), Decimal("0.00"))
            rises = total > self.total_value
            self._check_value(total, thresholds, "unit_price", analysis if rises else "")
            changes.update(unit_price=unit_price, allocations=shares, total_value=total)
        if term_end is not None and term_end != self.term_end:
            if term_end <= self.term_start:
                raise invalid("term_end", "must be after the term's start")
            if term_end < today:
                raise invalid(
                    "term_end",
                    f"must be today ({today.isoformat()}) or later: the days the contract ran "
                    "stand; to end it now, terminate it",
                )
            self._check_term_length(term_end)
            changes["term_end"] = term_end
        if analysis and analysis != self.current_cost_price_analysis:
            changes["cost_price_analysis"] = analysis
        if not changes:
            raise invalid("changes", "the amendment changes nothing")
        self.trigger_event(ContractAmended, actor=str(by.id), changes=changes, rationale=rationale)

    def renew(self, by: Account, term_end: date, rationale: str) -> None:
        self._require_buyer(by)
        self._require(ContractStatus.ACTIVE, "renewed")
        if term_end <= self.term_end:
            raise invalid("term_end", f"a renewal extends the term beyond {self.term_end.isoformat()}")
        self._check_term_length(term_end)
        self.trigger_event(
            ContractRenewed,
            actor=str(by.id),
            term_end=term_end,
            rationale=validation.required_text("rationale", rationale, max_length=5000),
        )

    def terminate(self, by: Account, reason: str) -> None:
        self._require_buyer(by)
        if self.status not in (ContractStatus.ACTIVE, ContractStatus.AWAITING_SIGNATURE):
            raise WrongState(f"a {self.status.value} contract cannot be terminated")
        if self.status is ContractStatus.AWAITING_SIGNATURE and self.solicitation_id is not None:
            # Terminated, it would hold its solicitation at "awarded" with a contract no one can
            # sign; cancelled, the solicitation returns to evaluated and can be awarded again.
            raise WrongState(
                "an award not yet signed is cancelled through its solicitation "
                f"{self.solicitation_id} (award/cancel), not terminated"
            )
        self.trigger_event(
            ContractTerminated,
            actor=str(by.id),
            reason=validation.required_text("reason", reason, max_length=5000),
        )

    def cancel_award(self, by: Account, reason: str) -> None:
        self._require_buyer(by)
        if self.status is not ContractStatus.AWAITING_SIGNATURE:
            raise WrongState("a signed contract is terminated, not cancelled; an award can be cancelled only before signature")
        self.trigger_event(ContractAwardCancelled, actor=str(by.id), reason=reason)

    def join(
        self,
        by: Account,
        district_id: UUID,
        seats: int,
        offering_id: UUID,
        today: date,
        thresholds: Thresholds,
        members_now: Collection[UUID],
    ) -> CostShare:
        """Another district joins the active contract, as its solicitation allowed: with
        ``consortium_members``, the districts that were members when the award was made and still
        are (``members_now``: the consortium's members today). Its seats count in the contract's
        value, which stays within what the contract's method allows under ``thresholds`` (those
        the award was made under): quotes cannot grow into a formal purchase by joining."""
        by.require_role(Role.BUYER)
        if not by.acts_for(district_id):
            raise NotAllowed("only a buyer of the joining district can join it to a contract")
        self._require(ContractStatus.ACTIVE, "joined")
        if self.joining_policy is JoiningPolicy.NONE:
            raise NotAllowed("this contract's solicitation did not allow other districts to join")
        if self.joining_policy is JoiningPolicy.CONSORTIUM_MEMBERS:
            if district_id not in self.eligible_district_ids:
                raise NotAllowed(
                    "only districts that were members of the consortium when this contract was "
                    "awarded may join it"
                )
            if district_id not in members_now:
                raise NotAllowed(
                    "this district has left the consortium since the award: only its members "
                    "may join this contract"
                )
        if any(a.district_id == district_id for a in self.allocations):
            raise WrongState("this district is already party to the contract")
        if offering_id not in self.offering_ids:
            raise invalid("offering_id", "outside the contract's scope: not one of its offerings")
        if not self.term_start <= today <= self.term_end:
            raise WrongState("the contract's term is not running")
        validation.seats("seats", seats)
        share = cost_shares({district_id: seats}, self.unit_price)[0]
        self._check_value(
            self.total_value + share.amount, thresholds, "seats", self.current_cost_price_analysis
        )
        self.trigger_event(DistrictJoinedContract, actor=str(by.id), share=share)
        return share

    def grant_student_data_access(
        self, by: Account, district_id: UUID, agreement_id: UUID | None, today: date
    ) -> None:
        """A party district's buyer lets the provider access its students' data, while the
        contract runs (or before its term begins, to prepare). The application passes the id of
        the provider's agreement covering that district today (``Provider.covers``), or None when
        there is none: then access is refused."""
        by.require_role(Role.BUYER)
        if not any(a.district_id == district_id for a in self.allocations):
            raise invalid("district_id", "not a party district of this contract")
        if not by.acts_for(district_id):
            raise NotAllowed("only a buyer of that party district grants access to its student data")
        if self.status is not ContractStatus.ACTIVE:
            raise WrongState(
                f"student data access is granted on an active (signed) contract; this one is {self.status.value}"
            )
        if today > self.term_end:
            raise WrongState(
                f"the contract's term ended on {self.term_end.isoformat()}: no student data "
                "access is granted under it"
            )
        if agreement_id is None:
            raise PrivacyAgreementRequired(
                "the provider has no signed data privacy agreement covering this district today: "
                "student data access is refused until it records one",
                {"district_id": ["no privacy agreement of the provider covers this district"]},
            )
        if self.student_data_access.get(district_id) == agreement_id:
            raise WrongState("student data access is already granted for this district under this agreement")
        self.trigger_event(
            StudentDataAccessGranted, actor=str(by.id), district_id=district_id, agreement_id=agreement_id
        )

    def _check_value(
        self, total: Decimal, thresholds: Thresholds, field: str, analysis: str | None
    ) -> None:
        """Rules 1 and 8 for a value the contract would reach (``field`` names what raises it):
        its method must still be the one the value requires, or stricter (a noncompetitive
        award is bounded by its justification, not by thresholds); above the simplified
        acquisition threshold ``analysis`` must be recorded ("" when the value does not rise)."""
        needed = required_method(total, thresholds)
        method = self.method
        if method is not ProcurementMethod.NONCOMPETITIVE and not is_at_least(method, needed):
            raise InvalidValue(
                f"the contract's value would become {total}, which requires {needed.value} under "
                f"the thresholds it was awarded under (micro-purchase {thresholds.micro_purchase}, "
                f"simplified acquisition {thresholds.simplified_acquisition}); it was awarded by "
                f"{method.value}: solicit the rest",
                {field: [f"takes the contract's value to {total}, beyond {method.value}"]},
            )
        ceiling = thresholds.simplified_acquisition
        if analysis is None and total > ceiling:
            raise InvalidValue(
                f"the contract's value would become {total}, above the simplified acquisition "
                f"threshold ({ceiling}): a cost or price analysis is required",
                {
                    field: [f"takes the contract's value to {total}, above {ceiling}"],
                    "cost_price_analysis": ["required above the simplified acquisition threshold"],
                },
            )

    def _require_buyer(self, by: Account) -> None:
        by.require_role(Role.BUYER)
        if not by.acts_for(self.lead_district_id):
            raise NotAllowed("only a buyer of the lead district manages this contract")

    def _require(self, status: ContractStatus, doing: str) -> None:
        if self.status is not status:
            raise WrongState(
                f"only {_A_CONTRACT[status]} can be {doing}; this one is "
                f"{self.status.value.replace('_', ' ')}"
            )

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: ContractAwarded) -> None:
        for name, value in vars(event).items():
            if name not in ("originator_id", "originator_version", "timestamp", "originator_topic", "actor"):
                setattr(self, name, tuple(value) if isinstance(value, list) else value)
        self.status = ContractStatus.AWAITING_SIGNATURE
        self.awarded_at = event.timestamp
        self.signatory: str | None = None
        self.signed_at = None
        self.terminated_on: date | None = None  # its UTC day
        self.end_reason: str | None = None
        self.student_data_access: dict[UUID, UUID] = {}  # district -> agreement it was granted under
        # The award record keeps the award's analysis; one recorded by an amendment is the latest.
        self.current_cost_price_analysis: str | None = self.cost_price_analysis

    @when.register
    def _(self, event: ContractSigned) -> None:
        self.status = ContractStatus.ACTIVE
        self.signatory = event.signatory
        self.signed_at = event.timestamp

    @when.register
    def _(self, event: ContractAmended) -> None:
        for name, value in event.changes.items():
            if name == "cost_price_analysis":
                name = "current_cost_price_analysis"
            setattr(self, name, tuple(value) if isinstance(value, list) else value)

    @when.register
    def _(self, event: ContractRenewed) -> None:
        self.term_end = event.term_end

    @when.register
    def _(self, event: ContractTerminated) -> None:
        self.status = ContractStatus.TERMINATED
        self.terminated_on = event.timestamp.astimezone(timezone.utc).date()
        self.end_reason = event.reason

    @when.register
    def _(self, event: ContractAwardCancelled) -> None:
        self.status = ContractStatus.CANCELLED
        self.end_reason = event.reason

    @when.register
    def _(self, event: DistrictJoinedContract) -> None:
        self.allocations = (*self.allocations, event.share)
        self.total_value = self.total_value + event.share.amount

    @when.register
    def _(self, event: StudentDataAccessGranted) -> None:
        self.student_data_access[event.district_id] = event.agreement_id
