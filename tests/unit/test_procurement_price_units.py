"""Demand is counted in seats, and a contract's value is its unit price times its seats: whatever
is bought by seats is priced per seat (per student or per teacher per year). A proposal, and a
direct purchase at list price, priced per school, per district or one-time is refused; one
solicitation's proposals are ranked and awarded only when all are priced in the same unit.
Offerings stay free to be listed in the catalog in any unit."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from events.types import ContractType, PriceUnit, Pricing, ProcurementMethod, Seats, VolumeTier
from marketplace.domain.contracts import Contract
from marketplace.domain.errors import InvalidValue
from marketplace.domain.offerings import OfferingStatus
from marketplace.domain.solicitations import Solicitation, SolicitationStatus
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    TERM_END,
    TERM_START,
    Cooperative,
    per_student,
    refused,
    usd,
)

NOT_PER_SEAT = [
    PriceUnit.PER_SCHOOL_PER_YEAR,
    PriceUnit.PER_DISTRICT_PER_YEAR,
    PriceUnit.ONE_TIME,
]
SEALED_BIDS = {"method": ProcurementMethod.SEALED_BIDS, "criteria": ()}
NOTE = "Catalog list price matches two comparable offerings' published prices."


def priced(unit: PriceUnit, list_price: str, *tiers: tuple[int, str]) -> Pricing:
    return Pricing(
        unit=unit,
        list_price=Decimal(list_price),
        volume_tiers=tuple(VolumeTier(q, Decimal(p)) for q, p in tiers),
    )


def per_teacher(list_price: str, *tiers: tuple[int, str]) -> Pricing:
    return priced(PriceUnit.PER_TEACHER_PER_YEAR, list_price, *tiers)


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


@pytest.fixture
def open_solicitation(coop: Cooperative) -> Solicitation:
    return coop.published()


# Proposals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", NOT_PER_SEAT, ids=lambda u: u.value)
def test_a_proposal_not_priced_per_seat_is_refused_naming_pricing_unit(
    coop: Cooperative, open_solicitation: Solicitation, unit: PriceUnit
) -> None:
    with refused(InvalidValue, coop.app, open_solicitation) as refusal:
        coop.submit(0, open_solicitation, priced(unit, "9000.00"))

    assert set(refusal.value.fields) == {"pricing.unit"}
    assert unit.value in refusal.value.fields["pricing.unit"][0]
    assert "catalog" in refusal.value.fields["pricing.unit"][0]


def test_a_proposal_priced_per_teacher_is_accepted(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    proposal = coop.submit(0, open_solicitation, per_teacher("1200.00"))

    assert proposal.pricing.unit is PriceUnit.PER_TEACHER_PER_YEAR


def test_revising_a_proposal_to_a_price_per_district_is_refused_and_keeps_its_price(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    proposal = coop.submit(0, open_solicitation, per_student("390.00"))

    with refused(InvalidValue, coop.app, proposal) as refusal:
        coop.app.revise_proposal(
            coop.providers[0],
            proposal.id,
            None,
            priced(PriceUnit.PER_DISTRICT_PER_YEAR, "50000.00"),
            None,
        )

    assert set(refusal.value.fields) == {"pricing.unit"}
    assert coop.app.get_proposal(proposal.id).pricing == per_student("390.00")


def test_proposing_again_after_withdrawing_is_refused_when_priced_one_time(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    proposal = coop.submit(0, open_solicitation)
    coop.app.withdraw_proposal(coop.providers[0], proposal.id, "Repricing")

    with refused(InvalidValue, coop.app) as refusal:
        coop.submit(0, open_solicitation, priced(PriceUnit.ONE_TIME, "25000.00"))

    assert set(refusal.value.fields) == {"pricing.unit"}
    assert coop.app.get_proposal(proposal.id).withdrawn


def test_an_offering_priced_per_school_may_still_be_proposed_at_a_price_per_student(
    coop: Cooperative, open_solicitation: Solicitation
) -> None:
    _, offering = coop.add_provider(
        "84-6000006", "Whole School Co", priced(PriceUnit.PER_SCHOOL_PER_YEAR, "40000.00")
    )
    assert offering.status is OfferingStatus.PUBLISHED

    proposal = coop.app.submit_proposal(
        coop.providers[-1],
        open_solicitation.id,
        [offering.id],
        per_student("95.00"),
        "The whole-school model, licensed per student for this need.",
    )

    assert proposal.pricing.unit is PriceUnit.PER_STUDENT_PER_YEAR


# Ranking and award ---------------------------------------------------------------------------------


def test_sealed_bids_priced_per_student_and_per_teacher_are_not_ranked_against_each_other(
    coop: Cooperative,
) -> None:
    solicitation, proposals = coop.closed_with(
        [per_student("390.00"), per_teacher("150.00"), per_student("380.00")], **SEALED_BIDS
    )

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.complete_evaluation(coop.lead, solicitation.id)

    assert set(refusal.value.fields) == {"pricing.unit"}
    assert str(proposals[1].id) in refusal.value.message
    assert coop.app.get_solicitation(solicitation.id).status is SolicitationStatus.CLOSED


def test_once_the_proposal_in_the_other_unit_is_nonresponsive_the_rest_are_ranked(
    coop: Cooperative,
) -> None:
    solicitation, proposals = coop.closed_with(
        [per_student("390.00"), per_teacher("150.00"), per_student("380.00")], **SEALED_BIDS
    )
    coop.app.declare_nonresponsive(
        coop.lead, solicitation.id, proposals[1].id, "Priced per teacher; the need counts students."
    )

    ranking = coop.app.complete_evaluation(coop.lead, solicitation.id).ranking

    assert [r["proposal_id"] for r in ranking] == [proposals[2].id, proposals[0].id]


def test_competitive_proposals_in_different_units_are_not_ranked_either(
    coop: Cooperative,
) -> None:
    solicitation, proposals = coop.closed_with([per_student("390.00"), per_teacher("150.00")])
    for proposal in proposals:
        coop.score(coop.evaluators[0], solicitation, proposal, 80, 80)

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.complete_evaluation(coop.lead, solicitation.id)

    assert set(refusal.value.fields) == {"pricing.unit"}


def test_a_contract_awarded_per_teacher_is_worth_its_price_times_its_teacher_seats(
    coop: Cooperative,
) -> None:
    solicitation, proposals = coop.closed_with(
        [per_teacher("2000.00", (40, "1800.00")), per_teacher("1900.00")],
        seats=(20, 10, 10),
        **SEALED_BIDS,
    )
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)

    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))

    assert contract.proposal_id == proposals[0].id
    assert contract.unit_price == usd("1800.00")
    assert contract.total_value == usd("72000.00")  # 40 teachers x 1,800.00
    assert sorted(a.amount for a in contract.allocations) == [
        usd("18000.00"),
        usd("18000.00"),
        usd("36000.00"),
    ]


def test_a_proposal_priced_per_district_before_the_rule_is_not_ranked(
    coop: Cooperative, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("marketplace.domain.proposals.require_proposal_per_seat", lambda p: None)
    solicitation, proposals = coop.closed_with(
        [per_student("390.00"), priced(PriceUnit.PER_DISTRICT_PER_YEAR, "60000.00")],
        **SEALED_BIDS,
    )

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.complete_evaluation(coop.lead, solicitation.id)

    assert set(refusal.value.fields) == {"pricing.unit"}
    assert "per_district_per_year" in refusal.value.message


def test_a_winner_ranked_before_the_rule_while_priced_per_district_is_not_awarded(
    coop: Cooperative, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("marketplace.domain.proposals.require_proposal_per_seat", lambda p: None)
    monkeypatch.setattr("marketplace.domain.solicitations.require_one_seat_unit", lambda p: None)
    per_district = priced(PriceUnit.PER_DISTRICT_PER_YEAR, "300.00")
    solicitation, _ = coop.closed_with([per_district, per_student("390.00")], **SEALED_BIDS)
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)
    monkeypatch.undo()

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))

    assert set(refusal.value.fields) == {"proposal_id"}
    assert coop.app.get_solicitation(solicitation.id).status is SolicitationStatus.EVALUATED


# Direct purchase ---------------------------------------------------------------------------------


def _buy(coop: Cooperative, offering_id: UUID, seats: int) -> Contract:
    district = coop.districts[1]
    return coop.app.direct_purchase(
        coop.buyers[1],
        offering_id,
        [Seats(district.id, seats)],
        None,
        NOTE,
        ContractType.FIXED_UNIT_PRICE,
        TERM_START,
        TERM_END,
    )


@pytest.mark.parametrize("unit", NOT_PER_SEAT, ids=lambda u: u.value)
def test_a_direct_purchase_of_an_offering_not_priced_per_seat_is_refused_naming_it(
    coop: Cooperative, unit: PriceUnit
) -> None:
    _, offering = coop.add_provider("84-5000005", "Catalog Co", priced(unit, "9000.00"))

    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, offering.id, 1)

    assert set(refusal.value.fields) == {"offering_id"}
    message = refusal.value.fields["offering_id"][0]
    assert unit.value in message and "per seat" in message and "catalog" in message


def test_a_direct_purchase_of_an_offering_priced_per_teacher_pays_list_per_teacher(
    coop: Cooperative,
) -> None:
    _, offering = coop.add_provider("84-5000005", "Coaching Co", per_teacher("600.00"))

    contract = _buy(coop, offering.id, 25)

    assert contract.total_value == usd("15000.00")
