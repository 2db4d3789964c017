"""Builders for procurement unit tests: an in-memory marketplace (the ``popo`` store, no I/O)
holding three small rural districts, their consortium, three providers with a published offering
each, and helpers to drive a solicitation from draft to signed contract.

Time is the unit tests' fixed clock (``tests.unit.conftest.FixedClock``): ``Cooperative`` moves it
to ``NOW`` (after the federal thresholds rose on 2025-10-01) and forward when a deadline must pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from events.types import (
    Contact,
    ContractType,
    Criterion,
    Delivery,
    GradeBand,
    JoiningPolicy,
    Justification,
    ModelType,
    NeedLine,
    NoncompetitiveCase,
    OrganizationIdentifier,
    PriceUnit,
    Pricing,
    Role,
    Score,
    Seats,
    Subject,
    Thresholds,
    VolumeTier,
)
from marketplace.application import Marketplace
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import Contract
from marketplace.domain.districts import Consortium, District
from marketplace.domain.errors import DomainError
from marketplace.domain.offerings import Offering
from marketplace.domain.proposals import Proposal
from marketplace.domain.solicitations import AwardDecision, Solicitation
from tests.unit.conftest import FixedClock

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
"""A Monday after 2025-10-01: federal micro-purchase 15,000, simplified acquisition 350,000."""

BEFORE_RAISE = datetime(2025, 9, 30, 9, 0, tzinfo=timezone.utc)
"""The last day of the 10,000 / 250,000 federal thresholds."""

TERM_START = date(2026, 7, 1)
TERM_END = date(2027, 6, 30)
DURING_TERM = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)

CP_CRITERIA = (Criterion("Price", 40, is_price=True), Criterion("Approach", 60))
FACTS = "Only one provider offers a state-aligned rural math course with offline delivery."


def usd(amount: str) -> Decimal:
    return Decimal(amount)


def per_student(list_price: str, *tiers: tuple[int, str]) -> Pricing:
    return Pricing(
        unit=PriceUnit.PER_STUDENT_PER_YEAR,
        list_price=Decimal(list_price),
        volume_tiers=tuple(VolumeTier(q, Decimal(p)) for q, p in tiers),
    )


def offering_details(title: str, pricing: Pricing) -> dict[str, Any]:
    return {
        "title": title,
        "summary": "Mastery-based middle school math for small rural schools.",
        "description": "Students progress on demonstrated mastery; teachers get daily insight.",
        "model_type": ModelType.COURSE,
        "subjects": (Subject.MATH,),
        "grade_bands": (GradeBand.GRADES_6_8,),
        "delivery": Delivery.BLENDED,
        "pricing": pricing,
    }


def in_memory_marketplace() -> Marketplace:
    return Marketplace(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def scores(price: int | str, approach: int | str) -> list[Score]:
    return [Score("Price", Decimal(price)), Score("Approach", Decimal(approach))]


# Refusals record nothing -----------------------------------------------------------------------


def last_position(app: Marketplace) -> int:
    return app.recorder.max_notification_id() or 0


@contextmanager
def refused(
    error: type[DomainError], app: Marketplace | None = None, *aggregates: Aggregate
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Expect ``error``, then check that nothing was recorded: no new event in the store, and each
    given aggregate still at its version with no pending event."""
    versions = [a.version for a in aggregates]
    before = last_position(app) if app is not None else None
    with pytest.raises(error) as info:
        yield info
    for aggregate, version in zip(aggregates, versions):
        assert aggregate.version == version, f"{type(aggregate).__name__} changed"
        assert aggregate.collect_events() == [], f"{type(aggregate).__name__} has pending events"
    if app is not None:
        assert last_position(app) == before, "an event was recorded"


# The cooperative -------------------------------------------------------------------------------


@dataclass
class Cooperative:
    """Three small rural Montana districts in one consortium, three providers, one evaluator."""

    app: Marketplace
    clock: FixedClock
    buyers: list[Account] = field(default_factory=list)
    districts: list[District] = field(default_factory=list)
    providers: list[Account] = field(default_factory=list)
    offerings: list[Offering] = field(default_factory=list)
    consortium: Consortium | None = None
    evaluators: list[Account] = field(default_factory=list)

    @classmethod
    def build(cls, clock: FixedClock, *, local_thresholds: Thresholds | None = None) -> Cooperative:
        clock.moment = NOW
        coop = cls(in_memory_marketplace(), clock)
        for n, name in enumerate(("Big Timber", "Harlowton", "White Sulphur Springs"), start=1):
            coop.add_district(f"300000{n}", name)
        coop.consortium = coop.app.form_consortium(
            coop.lead, "Crazy Mountains Cooperative", coop.districts[0].id, local_thresholds
        )
        for buyer, district in zip(coop.buyers[1:], coop.districts[1:]):
            coop.app.add_consortium_member(buyer, coop.consortium.id, district.id)
        for n in range(3):
            pricing = per_student("400.00", (1000, "380.00"))
            coop.add_provider(f"84-100000{n}", f"Provider {n}", pricing)
        coop.evaluators.append(coop.add_evaluator("Evaluator One"))
        return coop

    # People and organizations ---------------------------------------------------------------

    @property
    def lead(self) -> Account:
        return self.buyers[0]

    @property
    def consortium_id(self) -> UUID:
        assert self.consortium is not None
        return self.consortium.id

    def add_district(
        self,
        nces_id: str,
        name: str,
        *,
        locale_code: int = 43,
        enrollment: int = 400,
        average_daily_attendance: int = 380,
    ) -> tuple[Account, District]:
        buyer, _ = self.app.open_account(None, Role.BUYER, f"buyer of {name}")
        district = self.app.register_district(
            buyer,
            nces_id=nces_id,
            name=name,
            state="MT",
            locale_code=locale_code,
            enrollment=enrollment,
            average_daily_attendance=average_daily_attendance,
        )
        self.buyers.append(buyer)
        self.districts.append(district)
        return buyer, district

    def add_provider(self, ein: str, name: str, pricing: Pricing) -> tuple[Account, Offering]:
        account, _ = self.app.open_account(None, Role.PROVIDER, f"{name} staff")
        self.app.register_provider(
            account,
            name,
            OrganizationIdentifier("US-EIN", ein),
            None,
            Contact("Dana Reyes", f"dana@{ein}.example.com"),
        )
        offering = self.app.draft_offering(account, offering_details(f"{name} Math", pricing))
        offering = self.app.publish_offering(account, offering.id)
        self.providers.append(account)
        self.offerings.append(offering)
        return account, offering

    def add_evaluator(self, name: str) -> Account:
        account, _ = self.app.open_account(None, Role.EVALUATOR, name)
        return account

    def provider_id(self, n: int) -> UUID:
        provider_id = self.providers[n].organization_id
        assert provider_id is not None
        return provider_id

    # Solicitations ---------------------------------------------------------------------------

    def spec(self, seats: tuple[int, ...] = (400, 400, 400), **overrides: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "title": "Middle school math",
            "lines": (
                NeedLine(
                    "Math 6-8",
                    Subject.MATH,
                    (),
                    tuple(Seats(d.id, s) for d, s in zip(self.districts, seats)),
                ),
            ),
            "estimated_value": Decimal("480000"),
            "criteria": CP_CRITERIA,
            "questions_due": self.clock.moment + timedelta(days=7),
            "proposals_due": self.clock.moment + timedelta(days=21),
            "joining_policy": JoiningPolicy.ANY_DISTRICT,
        }
        spec.update(overrides)
        return spec

    def draft(self, **overrides: Any) -> Solicitation:
        return self.app.draft_solicitation(self.lead, self.consortium_id, self.spec(**overrides))

    def rfq_spec(self, **overrides: Any) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "estimated_value": Decimal("200000"),
            "criteria": (),
            "invited_provider_ids": tuple(self.provider_id(n) for n in range(3)),
        }
        defaults.update(overrides)
        return self.spec(**defaults)

    def published(self, **overrides: Any) -> Solicitation:
        """A drafted and published solicitation with one named evaluator."""
        solicitation = self.draft(**overrides)
        self.app.publish_solicitation(self.lead, solicitation.id)
        self.app.name_evaluator(self.lead, solicitation.id, self.evaluators[0].id)
        return self.app.get_solicitation(solicitation.id)

    def submit(
        self, n: int, solicitation: Solicitation, pricing: Pricing | None = None
    ) -> Proposal:
        return self.app.submit_proposal(
            self.providers[n],
            solicitation.id,
            [self.offerings[n].id],
            pricing or per_student("390.00", (1000, "360.00")),
            f"Provider {n} will teach middle school math by mastery.",
        )

    def at_deadline(self, solicitation: Solicitation) -> None:
        self.clock.moment = solicitation.proposals_due

    def pass_deadline(self, solicitation: Solicitation) -> None:
        self.clock.moment = solicitation.proposals_due + timedelta(hours=1)

    def close(self, solicitation: Solicitation, proposals: list[Proposal]) -> Solicitation:
        self.pass_deadline(solicitation)
        return self.app.close_solicitation(solicitation.id, [p.id for p in proposals])

    def score(
        self,
        evaluator: Account,
        solicitation: Solicitation,
        proposal: Proposal,
        price: int,
        approach: int,
    ) -> None:
        if self.app.find_evaluation(solicitation.id, evaluator.id) is None:
            self.app.attest(evaluator, solicitation.id, "I have no conflict of interest.")
        self.app.score_proposal(
            evaluator, solicitation.id, proposal.id, scores(price, approach), None
        )

    def closed_with(
        self, prices: list[Pricing], **overrides: Any
    ) -> tuple[Solicitation, list[Proposal]]:
        """Published, one proposal per price (provider n answers with prices[n]), then closed."""
        solicitation = self.published(**overrides)
        proposals = [self.submit(n, solicitation, p) for n, p in enumerate(prices)]
        return self.close(solicitation, proposals), proposals

    def evaluated(
        self,
        points: list[tuple[int, int]] | None = None,
        prices: list[Pricing] | None = None,
        **overrides: Any,
    ) -> tuple[Solicitation, list[Proposal]]:
        """A competitive-proposals solicitation closed with three proposals (or one per price)
        and evaluated; provider 0 wins by default (its points are highest)."""
        points = points or [(90, 90), (80, 70), (70, 60)]
        prices = prices or [per_student("390.00", (1000, "360.00")) for _ in points]
        solicitation, proposals = self.closed_with(prices, **overrides)
        for proposal, (price, approach) in zip(proposals, points):
            self.score(self.evaluators[0], solicitation, proposal, price, approach)
        return self.app.complete_evaluation(self.lead, solicitation.id), proposals

    def decision(self, solicitation: Solicitation, **overrides: Any) -> AwardDecision:
        """A complete award record for the highest-ranked proposal."""
        winner = solicitation.ranking[0]["proposal_id"]
        fields: dict[str, Any] = {
            "proposal_id": winner,
            "contract_type": ContractType.FIXED_UNIT_PRICE,
            "method_rationale": "Above the simplified acquisition threshold: competitive.",
            "selection_reason": "Highest weighted total of the published criteria.",
            "rejections": {
                p: "Lower weighted total." for p in solicitation.opened_proposal_ids if p != winner
            },
            "price_basis": "Competitive proposals; the volume tier the pooled seats reach.",
            "term_start": TERM_START,
            "term_end": TERM_END,
            "cost_price_analysis": "Compared with three proposals and the catalog list prices.",
        }
        fields.update(overrides)
        return AwardDecision(**fields)

    def awarded(self, **overrides: Any) -> tuple[Contract, Solicitation, list[Proposal]]:
        solicitation, proposals = self.evaluated(**overrides)
        contract = self.app.award(self.lead, solicitation.id, self.decision(solicitation))
        return contract, self.app.get_solicitation(solicitation.id), proposals

    def winner_of(self, contract: Contract) -> Account:
        return next(p for p in self.providers if p.organization_id == contract.provider_id)

    def signed(self, **overrides: Any) -> Contract:
        contract, _, _ = self.awarded(**overrides)
        return self.app.sign_contract(self.winner_of(contract), contract.id, "Jane Doe, CEO")


def event_as_version_1(
    app: Marketplace, aggregate_id: UUID, added_in_2: str, originator_version: int = 1
) -> Any:
    """The aggregate's event (its first by default) read back as version 1 of its class stored
    it: without ``added_in_2``, the field version 2 added, and without a class version (the
    library's upcast then runs)."""
    mapper = app.mapper
    events = app.events.get(aggregate_id)
    event = next(e for e in events if e.originator_version == originator_version)
    stored = mapper.to_stored_event(event)
    state = json.loads(stored.state.decode())
    assert state.pop("class_version") == 2
    del state[added_in_2]
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    return mapper.to_domain_event(old)


def stored_events(app: Marketplace, aggregate_id: UUID) -> list[Any]:
    return list(app.repository.event_store.get(aggregate_id))


def single_source() -> Justification:
    return Justification(NoncompetitiveCase.SINGLE_SOURCE, FACTS)
