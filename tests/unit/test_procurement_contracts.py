"""The contract an award creates: priced at the volume tier the pooled seats reach, with cost shares
summing exactly to its value; signed only by the awarded provider; an award cancelled (before
signature) and awarded again, never edited; renewed, terminated; joined by other districts as its
solicitation allowed and within its scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from events.types import CostShare, JoiningPolicy
from marketplace.domain.contracts import Contract, ContractStatus
from marketplace.domain.errors import InvalidValue, NotAllowed, WrongState
from marketplace.domain.solicitations import SolicitationStatus
from marketplace.domain.validation import MAX_SEATS
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    DURING_TERM,
    TERM_END,
    TERM_START,
    Cooperative,
    event_as_version_1,
    per_student,
    refused,
    usd,
)

SEATS = (401, 397, 402)  # 1,200 pooled; no district alone reaches the 1,000-seat tier
TIERED = per_student("390.00", (1000, "337.77"), (2000, "300.00"))


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


@pytest.fixture
def active(coop: Cooperative) -> Contract:
    """A signed contract any district may join, during its term."""
    contract = coop.signed(joining_policy=JoiningPolicy.ANY_DISTRICT)
    coop.clock.moment = DURING_TERM
    return contract


# Pricing ----------------------------------------------------------------------------------------


def test_cost_shares_are_priced_at_the_tier_the_pooled_seats_reach_and_sum_to_the_value(
    coop: Cooperative,
) -> None:
    contract, _, _ = coop.awarded(seats=SEATS, prices=[TIERED] * 3)

    assert contract.unit_price == usd("337.77")
    assert contract.allocations == tuple(
        sorted(
            (
                CostShare(d.id, seats, usd("337.77"), usd("337.77") * seats)
                for d, seats in zip(coop.districts, SEATS)
            ),
            key=lambda share: str(share.district_id),
        )
    )
    assert sum(a.amount for a in contract.allocations) == contract.total_value
    assert contract.total_value == usd("405324.00")  # 1,200 x 337.77


def test_three_districts_of_400_seats_reach_a_1000_seat_tier_none_reaches_alone(
    coop: Cooperative,
) -> None:
    contract, _, _ = coop.awarded(prices=[per_student("400.00", (1000, "380.00"))] * 3)

    assert [a.seats for a in contract.allocations] == [400, 400, 400]
    assert {a.unit_price for a in contract.allocations} == {usd("380.00")}
    assert {a.amount for a in contract.allocations} == {usd("152000.00")}
    assert contract.total_value == usd("456000.00")


def test_the_saving_against_list_price_is_the_difference_times_the_seats(
    coop: Cooperative,
) -> None:
    contract, _, _ = coop.awarded(seats=SEATS, prices=[TIERED] * 3)

    seats = sum(a.seats for a in contract.allocations)
    saving = (contract.list_unit_price - contract.unit_price) * seats
    assert (contract.list_unit_price, contract.unit_price, seats) == (
        usd("390.00"),
        usd("337.77"),
        1200,
    )
    assert saving == usd("62676.00")  # (390.00 - 337.77) x 1,200


# Signature ----------------------------------------------------------------------------------------


def test_only_the_awarded_provider_signs_its_contract(coop: Cooperative) -> None:
    contract, _, _ = coop.awarded()
    winner = coop.winner_of(contract)
    loser = next(p for p in coop.providers if p is not winner)

    for someone in (loser, coop.lead):
        with refused(NotAllowed, coop.app):
            coop.app.sign_contract(someone, contract.id, "Someone Else")
    assert coop.app.get_contract(contract.id).status is ContractStatus.AWAITING_SIGNATURE

    signed = coop.app.sign_contract(winner, contract.id, "Jane Doe, CEO")
    assert (signed.status, signed.signatory) == (ContractStatus.ACTIVE, "Jane Doe, CEO")


# Cancelling an award ---------------------------------------------------------------------------


def test_an_award_cancelled_before_signature_returns_the_solicitation_to_evaluated(
    coop: Cooperative,
) -> None:
    contract, solicitation, _ = coop.awarded()

    coop.app.cancel_award(coop.lead, solicitation.id, "The term dates were wrong.")

    reopened = coop.app.get_solicitation(solicitation.id)
    cancelled = coop.app.get_contract(contract.id)
    assert (reopened.status, reopened.contract_id) == (SolicitationStatus.EVALUATED, None)
    assert (cancelled.status, cancelled.end_reason) == (
        ContractStatus.CANCELLED,
        "The term dates were wrong.",
    )
    with refused(WrongState, coop.app) as refusal:
        coop.app.sign_contract(coop.winner_of(contract), contract.id, "Jane Doe, CEO")
    assert refusal.value.message == (
        "only a contract awaiting signature can be signed; this one is cancelled"
    )
    with refused(WrongState, coop.app) as refusal:
        coop.app.cancel_award(coop.lead, solicitation.id, "Again.")
    assert refusal.value.message == (
        "only an awarded solicitation can have its award cancelled; this one is evaluated"
    )


def test_an_award_not_yet_signed_is_cancelled_not_terminated(coop: Cooperative) -> None:
    contract, solicitation, _ = coop.awarded()

    with refused(WrongState, coop.app, contract) as refusal:
        coop.app.terminate_contract(coop.lead, contract.id, "The term dates were wrong.")
    assert "award/cancel" in str(refusal.value)
    assert coop.app.get_contract(contract.id).status is ContractStatus.AWAITING_SIGNATURE

    coop.app.cancel_award(coop.lead, solicitation.id, "The term dates were wrong.")
    assert coop.app.get_solicitation(solicitation.id).status is SolicitationStatus.EVALUATED


def test_a_cancelled_award_can_be_awarded_again(coop: Cooperative) -> None:
    first, solicitation, _ = coop.awarded()
    coop.app.cancel_award(coop.lead, solicitation.id, "The term dates were wrong.")

    second = coop.app.award(
        coop.lead,
        solicitation.id,
        coop.decision(solicitation, term_start=TERM_START + timedelta(days=14)),
    )

    assert second.id != first.id
    assert second.term_start == TERM_START + timedelta(days=14)
    assert coop.app.get_solicitation(solicitation.id).contract_id == second.id
    assert coop.app.get_contract(first.id).status is ContractStatus.CANCELLED


def test_a_winner_set_aside_leaves_the_next_award_to_the_next_ranked_proposal(
    coop: Cooperative,
) -> None:
    first, solicitation, _ = coop.awarded()
    winner, runner_up = (r["proposal_id"] for r in solicitation.ranking[:2])

    coop.app.cancel_award(
        coop.lead, solicitation.id, "The winner declined to sign.", set_aside_winner=True
    )
    reopened = coop.app.get_solicitation(solicitation.id)
    assert reopened.set_aside == {winner}
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.award(coop.lead, solicitation.id, coop.decision(reopened))  # the winner again
    assert refusal.value.fields == {
        "proposal_id": [f"the highest-ranked proposal not set aside is {runner_up}"]
    }

    rejections = {
        p: "Set aside: declined to sign." if p == winner else "Lower weighted total."
        for p in reopened.opened_proposal_ids
        if p != runner_up
    }
    second = coop.app.award(
        coop.lead,
        solicitation.id,
        coop.decision(reopened, proposal_id=runner_up, rejections=rejections),
    )
    assert second.provider_id == solicitation.ranking[1]["provider_id"] != first.provider_id


def test_once_every_ranked_proposal_is_set_aside_nothing_can_be_awarded(
    coop: Cooperative,
) -> None:
    _, solicitation, _ = coop.awarded(points=[(90, 90), (80, 70)])
    ranked = [r["proposal_id"] for r in solicitation.ranking]
    coop.app.cancel_award(coop.lead, solicitation.id, "Declined to sign.", set_aside_winner=True)
    reopened = coop.app.get_solicitation(solicitation.id)
    decision = coop.decision(
        reopened, proposal_id=ranked[1], rejections={ranked[0]: "Set aside: declined to sign."}
    )
    coop.app.award(coop.lead, solicitation.id, decision)
    coop.app.cancel_award(coop.lead, solicitation.id, "Declined too.", set_aside_winner=True)

    with refused(WrongState, coop.app) as refusal:
        coop.app.award(coop.lead, solicitation.id, decision)
    assert "declare the solicitation unsuccessful" in refusal.value.message
    unsuccessful = coop.app.declare_unsuccessful(coop.lead, solicitation.id, "No one would sign.")
    assert unsuccessful.status is SolicitationStatus.UNSUCCESSFUL


def test_an_award_cancelled_before_there_was_a_set_aside_reads_back_setting_nothing_aside(
    coop: Cooperative,
) -> None:
    _, solicitation, _ = coop.awarded()
    cancelled = coop.app.cancel_award(coop.lead, solicitation.id, "Wrong dates.")

    event = event_as_version_1(
        coop.app, solicitation.id, "set_aside_proposal_id", cancelled.version
    )

    assert (event.reason, event.set_aside_proposal_id) == ("Wrong dates.", None)


def test_an_award_cannot_be_cancelled_after_signature(coop: Cooperative) -> None:
    contract = coop.signed()
    solicitation = coop.app.get_solicitation(contract.solicitation_id)

    with refused(WrongState, coop.app, solicitation, contract):
        coop.app.cancel_award(coop.lead, solicitation.id, "Changed our mind.")
    assert coop.app.get_solicitation(solicitation.id).status is SolicitationStatus.AWARDED
    assert coop.app.get_contract(contract.id).status is ContractStatus.ACTIVE

    terminated = coop.app.terminate_contract(coop.lead, contract.id, "Changed our mind.")
    assert terminated.status is ContractStatus.TERMINATED


# Renewal and termination -------------------------------------------------------------------------


def test_a_renewal_must_extend_the_term(coop: Cooperative) -> None:
    contract = coop.signed()

    for term_end in (TERM_END, TERM_END - timedelta(days=1)):
        with refused(InvalidValue, coop.app) as refusal:
            coop.app.renew_contract(coop.lead, contract.id, term_end, "Another year.")
        assert set(refusal.value.fields) == {"term_end"}

    renewed = coop.app.renew_contract(
        coop.lead, contract.id, TERM_END.replace(year=2028), "Another year."
    )
    assert renewed.term_end == TERM_END.replace(year=2028)


def test_a_renewal_or_amendment_may_not_take_the_term_past_ten_years(coop: Cooperative) -> None:
    contract = coop.signed()
    ten_years = TERM_START.replace(year=TERM_START.year + 10)

    with refused(InvalidValue, coop.app, contract) as refusal:
        coop.app.renew_contract(coop.lead, contract.id, ten_years + timedelta(days=1), "Again.")
    assert set(refusal.value.fields) == {"term_end"}
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.amend_contract(
            coop.lead, contract.id, None, ten_years + timedelta(days=1), "Longer.", None
        )
    assert set(refusal.value.fields) == {"term_end"}

    assert coop.app.renew_contract(coop.lead, contract.id, ten_years, "Ten years.").term_end == (
        ten_years
    )


def test_an_amendment_does_not_end_the_term_in_the_past(coop: Cooperative) -> None:
    contract = coop.signed()
    coop.clock.moment = DURING_TERM  # 2026-09-01

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.amend_contract(
            coop.lead, contract.id, None, DURING_TERM.date() - timedelta(days=1), "Ended.", None
        )
    assert refusal.value.fields["term_end"][0].startswith("must be today (2026-09-01) or later")

    shortened = coop.app.amend_contract(
        coop.lead, contract.id, None, DURING_TERM.date(), "It ends today.", None
    )
    assert shortened.term_end == DURING_TERM.date()


def test_the_lead_district_s_buyer_terminates_a_contract_once(coop: Cooperative) -> None:
    contract = coop.signed()

    with refused(NotAllowed, coop.app):
        coop.app.terminate_contract(coop.buyers[1], contract.id, "Not satisfied.")

    terminated = coop.app.terminate_contract(coop.lead, contract.id, "Provider ceased trading.")
    assert (terminated.status, terminated.end_reason) == (
        ContractStatus.TERMINATED,
        "Provider ceased trading.",
    )
    with refused(WrongState, coop.app):
        coop.app.terminate_contract(coop.lead, contract.id, "Again.")


# Joining ----------------------------------------------------------------------------------------


def test_no_district_joins_a_contract_whose_solicitation_allowed_none(coop: Cooperative) -> None:
    contract = coop.signed(joining_policy=JoiningPolicy.NONE)
    coop.clock.moment = DURING_TERM
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(NotAllowed, coop.app):
        coop.app.join_contract(buyer, contract.id, district.id, 50, contract.offering_ids[0])
    assert len(coop.app.get_contract(contract.id).allocations) == 3


def test_a_contract_open_to_consortium_members_refuses_a_non_member(coop: Cooperative) -> None:
    # Only districts 0 and 1 buy; district 2 is a member that can join later.
    contract = coop.signed(joining_policy=JoiningPolicy.CONSORTIUM_MEMBERS, seats=(600, 600))
    coop.clock.moment = DURING_TERM
    outsider, outside = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(NotAllowed, coop.app):
        coop.app.join_contract(outsider, contract.id, outside.id, 50, contract.offering_ids[0])

    joined = coop.app.join_contract(
        coop.buyers[2], contract.id, coop.districts[2].id, 50, contract.offering_ids[0]
    )
    assert coop.districts[2].id in {a.district_id for a in joined.allocations}


def test_a_contract_open_to_consortium_members_takes_those_of_the_award_that_still_are(
    coop: Cooperative,
) -> None:
    contract = coop.signed(joining_policy=JoiningPolicy.CONSORTIUM_MEMBERS, seats=(600, 600))
    coop.clock.moment = DURING_TERM
    coop.app.remove_consortium_member(coop.buyers[2], coop.consortium_id, coop.districts[2].id)
    newcomer, district = coop.add_district("3000004", "Melville", locale_code=42)
    coop.app.add_consortium_member(newcomer, coop.consortium_id, district.id)

    with refused(NotAllowed, coop.app) as refusal:  # a member no more
        coop.app.join_contract(
            coop.buyers[2], contract.id, coop.districts[2].id, 50, contract.offering_ids[0]
        )
    assert "has left the consortium since the award" in refusal.value.message
    with refused(NotAllowed, coop.app) as refusal:  # not a member at the award
        coop.app.join_contract(newcomer, contract.id, district.id, 50, contract.offering_ids[0])
    assert "members of the consortium when this contract was awarded" in refusal.value.message

    coop.app.add_consortium_member(coop.buyers[2], coop.consortium_id, coop.districts[2].id)
    joined = coop.app.join_contract(
        coop.buyers[2], contract.id, coop.districts[2].id, 50, contract.offering_ids[0]
    )
    assert joined.allocations[-1].district_id == coop.districts[2].id


def test_a_contract_open_to_any_district_accepts_one_outside_the_consortium(
    coop: Cooperative, active: Contract
) -> None:
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)
    assert district.id not in coop.app.get_consortium(coop.consortium_id).members

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.join_contract(buyer, active.id, district.id, 0, active.offering_ids[0])
    assert set(refusal.value.fields) == {"seats"}

    joined = coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])
    assert joined.allocations[-1].district_id == district.id


@pytest.mark.parametrize("seats", [0, -5, MAX_SEATS + 1, True])
def test_a_district_joins_with_a_whole_number_of_seats_from_1_to_the_bound(
    coop: Cooperative, active: Contract, seats: Any
) -> None:
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.join_contract(buyer, active.id, district.id, seats, active.offering_ids[0])
    assert refusal.value.fields == {"seats": [f"must be a whole number from 1 to {MAX_SEATS}"]}

    joined = coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])
    assert joined.allocations[-1].seats == 50


def test_a_district_joins_only_within_the_contract_s_scope(
    coop: Cooperative, active: Contract
) -> None:
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)
    outside_scope = next(o for o in coop.offerings if o.id not in active.offering_ids)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.join_contract(buyer, active.id, district.id, 50, outside_scope.id)
    assert set(refusal.value.fields) == {"offering_id"}

    joined = coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])
    assert len(joined.allocations) == 4


def test_a_district_cannot_join_a_contract_twice(coop: Cooperative, active: Contract) -> None:
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)
    coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])

    with refused(WrongState, coop.app):
        coop.app.join_contract(buyer, active.id, district.id, 10, active.offering_ids[0])
    with refused(WrongState, coop.app):
        coop.app.join_contract(
            coop.buyers[1], active.id, coop.districts[1].id, 10, active.offering_ids[0]
        )
    assert len(coop.app.get_contract(active.id).allocations) == 4


def test_only_the_joining_district_s_own_buyer_joins_it(
    coop: Cooperative, active: Contract
) -> None:
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(NotAllowed, coop.app):
        coop.app.join_contract(coop.lead, active.id, district.id, 50, active.offering_ids[0])

    joined = coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])
    assert joined.allocations[-1].district_id == district.id


def test_a_district_joins_only_while_the_contract_s_term_runs(
    coop: Cooperative, active: Contract
) -> None:
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)
    coop.clock.moment = DURING_TERM.replace(year=2027, month=7)  # after TERM_END

    with refused(WrongState, coop.app):
        coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])

    coop.clock.moment = DURING_TERM
    assert coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])


def test_joining_adds_the_district_s_cost_share_at_the_contract_s_unit_price(
    coop: Cooperative, active: Contract
) -> None:
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)
    before = active.total_value

    joined = coop.app.join_contract(buyer, active.id, district.id, 50, active.offering_ids[0])

    share = CostShare(district.id, 50, active.unit_price, active.unit_price * 50)
    assert joined.allocations == (*active.allocations, share)
    assert joined.total_value == before + share.amount == before + Decimal("18000.00")
    assert sum(a.amount for a in joined.allocations) == joined.total_value
