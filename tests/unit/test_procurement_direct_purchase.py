"""A direct purchase: at or below the micro-purchase threshold in force that day, a buyer orders a
catalog offering at list price with a recorded price-reasonableness note; the award and contract
are recorded without a solicitation."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from events.types import (
    ContractType,
    JoiningPolicy,
    NoncompetitiveCase,
    ProcurementMethod,
    Seats,
    Thresholds,
)
from marketplace.domain.contracts import Contract, ContractStatus
from marketplace.domain.districts import District
from marketplace.domain.errors import InvalidValue, NotAllowed, NotFound
from marketplace.domain.offerings import Offering
from marketplace.domain.validation import MAX_SEATS
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    BEFORE_RAISE,
    offering_details,
    TERM_END,
    TERM_START,
    Cooperative,
    per_student,
    refused,
    usd,
)

NOTE = "Catalog list price matches two comparable offerings' published prices."


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


@pytest.fixture
def catalog(coop: Cooperative) -> Offering:
    """37.50 a student at list; 30.00 from 250 students (a direct purchase pays list)."""
    pricing = per_student("37.50", (250, "30.00"))
    _, offering = coop.add_provider("84-5000005", "Catalog Co", pricing)
    return offering


def _buy(
    coop: Cooperative,
    offering: Offering,
    seats: int | tuple[int, ...],
    *,
    note: str = NOTE,
    consortium: bool = False,
    district: District | None = None,
    term: tuple[date, date] = (TERM_START, TERM_END),
) -> Contract:
    if consortium:
        counts = seats if isinstance(seats, tuple) else (seats,)
        demand = [Seats(d.id, n) for d, n in zip(coop.districts, counts)]
        buyer, consortium_id = coop.lead, coop.consortium_id
    else:
        assert isinstance(seats, int)
        district = district or coop.districts[1]
        demand = [Seats(district.id, seats)]
        buyer, consortium_id = coop.buyers[coop.districts.index(district)], None
    return coop.app.direct_purchase(
        buyer,
        offering.id,
        demand,
        consortium_id,
        note,
        ContractType.FIXED_UNIT_PRICE,
        *term,
    )


def test_a_direct_purchase_at_the_micro_purchase_threshold_creates_an_awarded_contract(
    coop: Cooperative, catalog: Offering
) -> None:
    contract = _buy(coop, catalog, 400)  # 400 x 37.50 = 15,000.00

    assert contract.method is ProcurementMethod.DIRECT_PURCHASE
    assert contract.status is ContractStatus.AWAITING_SIGNATURE
    assert (contract.solicitation_id, contract.proposal_id) == (None, None)
    assert contract.total_value == usd("15000.00")
    assert contract.unit_price == contract.list_unit_price == usd("37.50")  # not the 30.00 tier
    assert contract.offering_ids == (catalog.id,)
    assert contract.provider_id == catalog.provider_id
    assert contract.lead_district_id == coop.districts[1].id
    assert contract.justification is not None
    assert contract.justification.case is NoncompetitiveCase.MICRO_PURCHASE
    assert contract.justification.explanation == NOTE
    assert contract.joining_policy is JoiningPolicy.NONE
    assert contract.method_rationale and contract.price_basis and contract.selection_reason


@pytest.mark.parametrize(
    ("term_start", "term_end", "field"),
    [
        (date(1, 1, 1), date(1, 1, 2), "term_start"),
        (date(2024, 1, 4), date(2024, 6, 30), "term_start"),  # over two years before 2026-01-05
        (date(2031, 1, 6), date(2032, 1, 5), "term_start"),  # over five years after it
        (date(2026, 7, 1), date(2036, 7, 2), "term_end"),  # over ten years long
        (date(2026, 7, 1), date(2026, 7, 1), "term_end"),
    ],
)
def test_a_direct_purchase_term_out_of_bounds_is_refused_naming_the_field(
    coop: Cooperative, catalog: Offering, term_start: date, term_end: date, field: str
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, catalog, 400, term=(term_start, term_end))
    assert set(refusal.value.fields) == {field}
    assert refusal.value.message.startswith(f"{field}: ")


def test_a_direct_purchase_term_may_start_two_years_back_to_five_ahead_and_last_ten_years(
    coop: Cooperative, catalog: Offering
) -> None:
    for term in ((date(2024, 1, 5), date(2034, 1, 5)), (date(2031, 1, 5), date(2041, 1, 5))):
        contract = _buy(coop, catalog, 100, term=term)
        assert (contract.term_start, contract.term_end) == term


def test_a_direct_purchase_above_the_micro_purchase_threshold_is_refused_naming_demand(
    coop: Cooperative, catalog: Offering
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, catalog, 401)  # 15,037.50
    assert set(refusal.value.fields) == {"demand"}

    assert _buy(coop, catalog, 400).total_value == usd("15000.00")


@pytest.mark.parametrize("seats", [0, MAX_SEATS + 1])
def test_a_direct_purchase_of_seats_outside_1_to_the_bound_is_refused_naming_them(
    coop: Cooperative, catalog: Offering, seats: int
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, catalog, seats)
    assert set(refusal.value.fields) == {"demand.0.seats"}


def test_a_consortium_s_pooled_direct_purchase_counts_every_district_s_seats(
    coop: Cooperative, catalog: Offering
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, catalog, (134, 134, 134), consortium=True)  # 402 x 37.50 = 15,075.00
    assert set(refusal.value.fields) == {"demand"}

    contract = _buy(coop, catalog, (150, 150, 100), consortium=True)
    assert contract.total_value == usd("15000.00")
    assert contract.consortium_id == coop.consortium_id
    assert sorted(a.amount for a in contract.allocations) == [
        usd("3750.00"),
        usd("5625.00"),
        usd("5625.00"),
    ]


def test_a_direct_purchase_before_2025_10_01_is_limited_to_10000(
    coop: Cooperative, catalog: Offering
) -> None:
    coop.clock.moment = BEFORE_RAISE

    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, catalog, 267)  # 10,012.50
    assert set(refusal.value.fields) == {"demand"}

    assert _buy(coop, catalog, 266).total_value == usd("9975.00")


def test_a_consortium_s_stricter_micro_purchase_threshold_limits_its_direct_purchases(
    coop: Cooperative, catalog: Offering
) -> None:
    local = Thresholds(date(2025, 10, 1), usd("5000"), usd("100000"))
    coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, local)

    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, catalog, (50, 50, 34), consortium=True)  # 134 x 37.50 = 5,025.00
    assert set(refusal.value.fields) == {"demand"}

    assert _buy(coop, catalog, (50, 50, 33), consortium=True).total_value == usd("4987.50")


@pytest.mark.parametrize("note", ["", "   ", "x" * 19])
def test_a_direct_purchase_without_a_price_reasonableness_note_of_20_characters_is_refused(
    coop: Cooperative, catalog: Offering, note: str
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        _buy(coop, catalog, 10, note=note)
    # One field is named; see the report: it is "justification.explanation", not the
    # "price_reasonableness" the caller sent.
    assert len(refusal.value.fields) == 1

    contract = _buy(coop, catalog, 10, note="x" * 20)
    assert contract.justification is not None
    assert contract.justification.explanation == "x" * 20


def test_a_draft_offering_is_not_found_to_a_buyer_as_an_unknown_id_is(
    coop: Cooperative, catalog: Offering
) -> None:
    provider = next(a for a in coop.providers if a.organization_id == catalog.provider_id)
    draft = coop.app.draft_offering(provider, offering_details("Unfinished", per_student("9.00")))
    unknown = uuid4()

    for offering_id in (draft.id, unknown):
        with refused(NotFound, coop.app) as refusal:
            coop.app.direct_purchase(
                coop.lead, offering_id, [Seats(coop.districts[0].id, 10)], coop.consortium_id,
                NOTE, ContractType.FIXED_UNIT_PRICE, TERM_START, TERM_END,
            )
        assert refusal.value.message == f"offering {offering_id} not found"

    coop.app.withdraw_offering(provider, catalog.id, "Retired.")
    with refused(InvalidValue, coop.app) as refusal:  # a withdrawn one is on public record
        _buy(coop, catalog, 10)
    assert set(refusal.value.fields) == {"offering_id"}


def test_a_direct_purchase_for_a_district_outside_the_buyer_s_consortium_is_refused(
    coop: Cooperative, catalog: Offering
) -> None:
    _, outside = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.direct_purchase(
            coop.lead,
            catalog.id,
            [Seats(coop.districts[0].id, 10), Seats(outside.id, 10)],
            coop.consortium_id,
            NOTE,
            ContractType.FIXED_UNIT_PRICE,
            TERM_START,
            TERM_END,
        )
    assert set(refusal.value.fields) == {"demand.1.district_id"}

    assert _buy(coop, catalog, (10, 10), consortium=True).total_value == usd("750.00")


def test_only_the_lead_district_s_buyer_purchases_for_the_consortium(
    coop: Cooperative, catalog: Offering
) -> None:
    with refused(NotAllowed, coop.app):
        coop.app.direct_purchase(
            coop.buyers[1],
            catalog.id,
            [Seats(coop.districts[1].id, 10)],
            coop.consortium_id,
            NOTE,
            ContractType.FIXED_UNIT_PRICE,
            TERM_START,
            TERM_END,
        )

    assert _buy(coop, catalog, 10, district=coop.districts[1]).lead_district_id == (
        coop.districts[1].id
    )


def test_an_unsigned_direct_purchase_is_ended_by_termination(
    coop: Cooperative, catalog: Offering
) -> None:
    # No solicitation to return to: termination is how an order not yet signed is ended.
    contract = _buy(coop, catalog, 40)

    ended = coop.app.terminate_contract(coop.buyers[1], contract.id, "Ordered by mistake.")

    assert (ended.status, ended.end_reason) == (ContractStatus.TERMINATED, "Ordered by mistake.")
