"""The edges of PRODUCT rules 7 and 8 in the domain: sealed bids with a single responsive bid are
awarded only with a recorded noncompetitive justification, and the cost or price analysis is
needed above the simplified acquisition threshold (350,000.00), not at it. The award value is the
unit price at the volume tier the pooled seats reach, times the seats."""

from __future__ import annotations

import pytest

from events.types import Justification, NoncompetitiveCase, ProcurementMethod
from marketplace.domain.errors import InvalidValue
from marketplace.domain.solicitations import Solicitation, SolicitationStatus
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    FACTS,
    Cooperative,
    per_student,
    refused,
    usd,
)

INADEQUATE = Justification(NoncompetitiveCase.INADEQUATE_COMPETITION, FACTS)
SEALED_BIDS = {"method": ProcurementMethod.SEALED_BIDS, "criteria": ()}


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


def _not_awarded(coop: Cooperative, solicitation: Solicitation) -> None:
    after = coop.app.get_solicitation(solicitation.id)
    assert (after.status, after.contract_id) == (SolicitationStatus.EVALUATED, None)
    assert after.version == solicitation.version


# Rule 7: sealed bids -----------------------------------------------------------------------------


def test_sealed_bids_with_a_single_bid_are_awarded_only_with_a_justification(
    coop: Cooperative,
) -> None:
    solicitation, _ = coop.closed_with([per_student("390.00", (1000, "360.00"))], **SEALED_BIDS)
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)
    assert solicitation.method is ProcurementMethod.SEALED_BIDS

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert set(refusal.value.fields) == {"justification"}
    _not_awarded(coop, solicitation)

    contract = coop.app.award(
        coop.lead, solicitation.id, coop.decision(solicitation, justification=INADEQUATE)
    )
    assert contract.method is ProcurementMethod.SEALED_BIDS
    assert contract.justification == INADEQUATE


def test_sealed_bids_with_one_responsive_bid_among_two_still_need_a_justification(
    coop: Cooperative,
) -> None:
    solicitation, proposals = coop.closed_with(
        [per_student("390.00", (1000, "360.00")), per_student("390.00", (1000, "350.00"))],
        **SEALED_BIDS,
    )
    coop.app.declare_nonresponsive(
        coop.lead, solicitation.id, proposals[1].id, "The bid form was not signed."
    )
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)
    assert [r["proposal_id"] for r in solicitation.ranking] == [proposals[0].id]

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert set(refusal.value.fields) == {"justification"}
    _not_awarded(coop, solicitation)

    contract = coop.app.award(
        coop.lead, solicitation.id, coop.decision(solicitation, justification=INADEQUATE)
    )
    assert contract.justification == INADEQUATE
    assert [r["proposal_id"] for r in contract.rejections] == [proposals[1].id]


# Rule 8: exactly at the simplified acquisition threshold, and a cent above ----------------------


def _sealed_bids_estimated_at_the_threshold(
    coop: Cooperative, seats: tuple[int, ...], tier: int, prices: tuple[str, str]
) -> Solicitation:
    """Sealed bids (stricter than the quotes the estimate needs) estimated at exactly 350,000.00,
    so the award value alone decides; two bids at the ``tier``-seat tier, ranked by price."""
    solicitation, _ = coop.closed_with(
        [per_student("40000.00", (tier, price)) for price in prices],
        seats=seats,
        estimated_value=usd("350000.00"),
        **SEALED_BIDS,
    )
    assert solicitation.required_method is ProcurementMethod.REQUEST_FOR_QUOTES
    assert solicitation.thresholds.simplified_acquisition == usd("350000")
    return coop.app.complete_evaluation(coop.lead, solicitation.id)


def test_an_award_of_exactly_350000_00_needs_no_cost_or_price_analysis(coop: Cooperative) -> None:
    # 400 + 400 + 200 = 1,000 seats at the 1,000-seat tier of 350.00.
    solicitation = _sealed_bids_estimated_at_the_threshold(
        coop, (400, 400, 200), 1000, ("350.00", "360.00")
    )

    contract = coop.app.award(
        coop.lead, solicitation.id, coop.decision(solicitation, cost_price_analysis=None)
    )

    assert contract.unit_price == usd("350.00")
    assert contract.total_value == usd("350000.00")
    assert contract.cost_price_analysis is None


def test_an_award_of_350000_01_needs_a_cost_or_price_analysis(coop: Cooperative) -> None:
    # 3 + 3 + 3 = 9 seats at the 9-seat tier of 38,888.89 = 350,000.01.
    solicitation = _sealed_bids_estimated_at_the_threshold(
        coop, (3, 3, 3), 9, ("38888.89", "39000.00")
    )

    with refused(InvalidValue, coop.app, solicitation) as refusal:
        coop.app.award(
            coop.lead, solicitation.id, coop.decision(solicitation, cost_price_analysis=None)
        )
    assert set(refusal.value.fields) == {"cost_price_analysis"}
    _not_awarded(coop, solicitation)

    contract = coop.app.award(coop.lead, solicitation.id, coop.decision(solicitation))
    assert contract.unit_price == usd("38888.89")
    assert contract.total_value == usd("350000.01")
    assert contract.cost_price_analysis == coop.decision(solicitation).cost_price_analysis
