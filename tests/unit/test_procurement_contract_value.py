"""Rules 1 and 8 hold after the award too: a contract's value, as amendments and joining
districts change it, stays within what its method allows under the thresholds it was awarded
under (a direct purchase cannot be repriced past the micro-purchase threshold, quotes cannot grow
into a formal purchase), and a raise above the simplified acquisition threshold needs a recorded
cost or price analysis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from events.types import ContractType, JoiningPolicy, ProcurementMethod, Seats, Thresholds
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import Contract
from marketplace.domain.errors import InvalidValue
from marketplace.domain.offerings import Offering
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    DURING_TERM,
    TERM_END,
    TERM_START,
    Cooperative,
    per_student,
    refused,
    usd,
)

NOTE = "List price matches two comparable tools we priced this year."
RATIONALE = "Renegotiated for the coming school year."


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


@pytest.fixture
def catalog(coop: Cooperative) -> tuple[Account, Offering]:
    """37.50 a student at list."""
    return coop.add_provider("84-5000005", "Catalog Co", per_student("37.50"))


def _bought(
    coop: Cooperative, catalog: tuple[Account, Offering], seats: tuple[int, ...]
) -> Contract:
    """A signed direct purchase: one district's seats, or the consortium's with three counts."""
    provider, offering = catalog
    if len(seats) == 1:
        buyer, consortium_id = coop.buyers[1], None
        demand = [Seats(coop.districts[1].id, seats[0])]
    else:
        buyer, consortium_id = coop.lead, coop.consortium_id
        demand = [Seats(d.id, n) for d, n in zip(coop.districts, seats)]
    contract = coop.app.direct_purchase(
        buyer, offering.id, demand, consortium_id, NOTE, ContractType.FIXED_UNIT_PRICE,
        TERM_START, TERM_END,
    )
    return coop.app.sign_contract(provider, contract.id, "Jane Doe, CEO")


def _amend(
    coop: Cooperative,
    contract: Contract,
    price: str,
    analysis: str | None = None,
    by: Account | None = None,
) -> Contract:
    lead = by or coop.lead
    return coop.app.amend_contract(lead, contract.id, usd(price), None, RATIONALE, analysis)


def _rfq_contract(coop: Cooperative, **overrides: object) -> Contract:
    """Quotes for 1,200 seats at 150.00 = 180,000 (under 350,000), open to any district, signed."""
    prices = [per_student("150.00"), per_student("160.00"), per_student("170.00")]
    solicitation, _ = coop.closed_with(prices, **coop.rfq_spec(**overrides))
    solicitation = coop.app.complete_evaluation(coop.lead, solicitation.id)
    decision = coop.decision(solicitation, cost_price_analysis=None)
    contract = coop.app.award(coop.lead, solicitation.id, decision)
    assert contract.method is overrides.get("method", ProcurementMethod.REQUEST_FOR_QUOTES)
    assert contract.total_value == usd("180000.00")
    return coop.app.sign_contract(coop.winner_of(contract), contract.id, "Jane Doe, CEO")


# A direct purchase stays within the micro-purchase threshold ------------------------------------


def test_a_direct_purchase_cannot_be_repriced_past_the_micro_purchase_threshold(
    coop: Cooperative, catalog: tuple[Account, Offering]
) -> None:
    contract = _bought(coop, catalog, (400,))  # 400 x 37.50 = 15,000.00, the threshold itself
    buyer = coop.buyers[1]

    with refused(InvalidValue, coop.app, contract) as refusal:
        _amend(coop, contract, "37.51", by=buyer)  # 15,004.00
    assert set(refusal.value.fields) == {"unit_price"}
    assert "direct_purchase" in str(refusal.value) and "15000" in str(refusal.value)
    with refused(InvalidValue, coop.app, contract):
        _amend(coop, contract, "1500.00", "An analysis cannot widen a method.", by=buyer)

    lowered = _amend(coop, contract, "30.00", by=buyer)
    assert lowered.total_value == usd("12000.00") and lowered.unit_price == usd("30.00")
    assert _amend(coop, lowered, "37.50", by=buyer).total_value == usd("15000.00")


def test_an_amended_price_is_recorded_in_whole_cents_and_an_absurd_one_is_refused(
    coop: Cooperative, catalog: tuple[Account, Offering]
) -> None:
    contract = _bought(coop, catalog, (400,))
    buyer = coop.buyers[1]

    for absurd in ("1e30", "100000000.01", "-1"):
        with refused(InvalidValue, coop.app, contract) as refusal:
            _amend(coop, contract, absurd, by=buyer)
        assert set(refusal.value.fields) == {"unit_price"}, absurd

    amended = _amend(coop, contract, "30.5", by=buyer)
    assert str(amended.unit_price) == "30.50"
    assert [str(a.unit_price) for a in amended.allocations] == ["30.50"]
    assert str(amended.total_value) == "12200.00"


def test_a_consortium_s_direct_purchase_is_held_to_its_stricter_local_threshold(
    coop: Cooperative, catalog: tuple[Account, Offering]
) -> None:
    local = Thresholds(date(2025, 10, 1), usd("5000"), usd("100000"))
    coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, local)
    contract = _bought(coop, catalog, (50, 50, 33))  # 133 x 37.50 = 4,987.50

    with refused(InvalidValue, coop.app, contract) as refusal:
        _amend(coop, contract, "37.60")  # 5,000.80: within the federal 15,000, not the local 5,000
    assert set(refusal.value.fields) == {"unit_price"}

    assert _amend(coop, contract, "37.59").total_value == usd("4999.47")


def test_local_thresholds_recorded_after_a_direct_purchase_do_not_govern_it(
    coop: Cooperative, catalog: tuple[Account, Offering]
) -> None:
    contract = _bought(coop, catalog, (150, 150, 100))  # 400 x 37.50 = 15,000.00, the federal limit
    coop.clock.moment += timedelta(days=1)
    later = Thresholds(date(2025, 10, 1), usd("5000"), usd("100000"))  # dated back, recorded now
    coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, later)

    assert _amend(coop, contract, "37.00").total_value == usd("14800.00")  # a cut stays allowed
    with refused(InvalidValue, coop.app) as refusal:
        _amend(coop, coop.app.get_contract(contract.id), "37.51")  # 15,004.00
    assert "15000" in str(refusal.value)  # the federal threshold in force then, not 5,000


# Quotes stay within the simplified acquisition threshold ----------------------------------------


def test_a_request_for_quotes_contract_cannot_be_repriced_into_a_formal_purchase(
    coop: Cooperative,
) -> None:
    contract = _rfq_contract(coop)

    with refused(InvalidValue, coop.app, contract) as refusal:
        _amend(coop, contract, "291.67", "Compared with the catalog.")  # 350,004.00
    assert "unit_price" in refusal.value.fields
    assert "competitive_proposals" in str(refusal.value)

    assert _amend(coop, contract, "291.66").total_value == usd("349992.00")  # no analysis needed


def test_districts_cannot_join_a_request_for_quotes_contract_past_the_threshold(
    coop: Cooperative,
) -> None:
    contract = _rfq_contract(coop)
    coop.clock.moment = DURING_TERM
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(InvalidValue, coop.app, contract) as refusal:
        # 1,134 x 150.00 = 170,100: 350,100 in all
        coop.app.join_contract(buyer, contract.id, district.id, 1134, contract.offering_ids[0])
    assert "seats" in refusal.value.fields
    assert len(coop.app.get_contract(contract.id).allocations) == 3

    joined = coop.app.join_contract(buyer, contract.id, district.id, 1133, contract.offering_ids[0])
    assert joined.total_value == usd("349950.00")


# Above the simplified acquisition threshold, a raise needs an analysis ---------------------------


def test_a_formal_contract_s_raise_above_the_threshold_needs_its_own_cost_or_price_analysis(
    coop: Cooperative,
) -> None:
    contract = coop.signed()  # competitive proposals: 1,200 x 360.00 = 432,000, analysed at award
    assert contract.total_value == usd("432000.00") and contract.cost_price_analysis

    with refused(InvalidValue, coop.app, contract) as refusal:
        _amend(coop, contract, "370.00")  # 444,000
    assert set(refusal.value.fields) == {"unit_price", "cost_price_analysis"}

    lowered = _amend(coop, contract, "350.00")  # 420,000: a cut needs no new analysis
    assert lowered.current_cost_price_analysis == contract.cost_price_analysis

    analysis = "Compared with the state contract's 2026 price list and two quotes."
    raised = _amend(coop, lowered, "370.00", analysis)
    assert raised.total_value == usd("444000.00") and raised.current_cost_price_analysis == analysis
    assert raised.cost_price_analysis == contract.cost_price_analysis  # the award record stays
    event = coop.app.repository.event_store.get(contract.id, gt=lowered.version)
    assert [e.changes.get("cost_price_analysis") for e in event] == [analysis]


def test_joining_past_the_threshold_needs_an_analysis_the_lead_can_record_by_amendment(
    coop: Cooperative,
) -> None:
    # Sealed bids (stricter than the quotes 180,000 needs): no analysis at the award.
    contract = _rfq_contract(coop, method=ProcurementMethod.SEALED_BIDS, invited_provider_ids=())
    assert contract.cost_price_analysis is None
    coop.clock.moment = DURING_TERM
    buyer, district = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(InvalidValue, coop.app, contract) as refusal:
        coop.app.join_contract(buyer, contract.id, district.id, 1134, contract.offering_ids[0])
    assert set(refusal.value.fields) == {"seats", "cost_price_analysis"}

    analysis = "Compared with the state contract's 2026 price list and two quotes."
    recorded = coop.app.amend_contract(coop.lead, contract.id, None, None, RATIONALE, analysis)
    assert recorded.current_cost_price_analysis == analysis and recorded.cost_price_analysis is None
    assert recorded.total_value == contract.total_value
    with refused(InvalidValue, coop.app, recorded):  # the same analysis again changes nothing
        coop.app.amend_contract(coop.lead, contract.id, None, None, RATIONALE, analysis)

    joined = coop.app.join_contract(buyer, contract.id, district.id, 1134, contract.offering_ids[0])
    assert joined.total_value == usd("350100.00")
    assert joined.joining_policy is JoiningPolicy.ANY_DISTRICT
