"""PRODUCT rule 1: the method follows from the total value and the thresholds in force on the
solicitation's date; a buyer may choose a stricter method, never a looser one; noncompetitive only
with a recorded justification from the allowed cases."""

from __future__ import annotations

from datetime import date

import pytest

from events.types import Justification, NoncompetitiveCase, ProcurementMethod, Thresholds
from marketplace.domain.errors import InvalidValue
from marketplace.domain.solicitations import PRICE_ONLY, SolicitationStatus
from marketplace.domain.thresholds import required_method, thresholds_on
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    BEFORE_RAISE,
    FACTS,
    NOW,
    Cooperative,
    refused,
    single_source,
    usd,
)

DIRECT = ProcurementMethod.DIRECT_PURCHASE
QUOTES = ProcurementMethod.REQUEST_FOR_QUOTES
PROPOSALS = ProcurementMethod.COMPETITIVE_PROPOSALS
SEALED = ProcurementMethod.SEALED_BIDS
NONCOMPETITIVE = ProcurementMethod.NONCOMPETITIVE


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


# The thresholds in force -------------------------------------------------------------------------


def test_the_federal_thresholds_rise_to_15000_and_350000_on_2025_10_01() -> None:
    assert thresholds_on(date(2025, 9, 30)) == Thresholds(
        date(2018, 6, 20), usd("10000"), usd("250000")
    )
    assert thresholds_on(date(2025, 10, 1)) == Thresholds(
        date(2025, 10, 1), usd("15000"), usd("350000")
    )


def test_a_day_before_any_recorded_federal_threshold_is_refused_naming_the_day() -> None:
    with pytest.raises(InvalidValue) as refusal:
        thresholds_on(date(2018, 6, 19))

    assert set(refusal.value.fields) == {"on"}
    assert refusal.value.message.startswith("on: ")
    assert thresholds_on(date(2018, 6, 20)).micro_purchase == usd("10000")


def test_federal_thresholds_read_as_money_in_whole_cents() -> None:
    today = thresholds_on(date(2026, 12, 1))
    assert (str(today.micro_purchase), str(today.simplified_acquisition)) == ("15000.00", "350000.00")


# Method selection at the exact thresholds ------------------------------------------------------


def test_exactly_15000_00_is_a_micro_purchase_so_a_direct_purchase_is_the_required_method(
    coop: Cooperative,
) -> None:
    assert required_method(usd("15000.00"), thresholds_on(NOW.date())) is DIRECT

    solicitation = coop.draft(estimated_value=usd("15000.00"), criteria=())

    assert solicitation.required_method is DIRECT
    assert solicitation.method is QUOTES  # soliciting quotes is stricter than buying direct


def test_one_cent_above_15000_requires_a_request_for_quotes(coop: Cooperative) -> None:
    assert required_method(usd("15000.01"), thresholds_on(NOW.date())) is QUOTES

    solicitation = coop.draft(estimated_value=usd("15000.01"), criteria=())

    assert (solicitation.required_method, solicitation.method) == (QUOTES, QUOTES)


def test_exactly_350000_00_still_needs_only_a_request_for_quotes(coop: Cooperative) -> None:
    assert required_method(usd("350000.00"), thresholds_on(NOW.date())) is QUOTES

    solicitation = coop.draft(estimated_value=usd("350000.00"), method=QUOTES, criteria=())

    assert (solicitation.required_method, solicitation.method) == (QUOTES, QUOTES)


def test_one_cent_above_350000_requires_competitive_proposals_and_refuses_quotes(
    coop: Cooperative,
) -> None:
    assert required_method(usd("350000.01"), thresholds_on(NOW.date())) is PROPOSALS

    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(estimated_value=usd("350000.01"), method=QUOTES, criteria=())
    assert set(refusal.value.fields) == {"method"}

    solicitation = coop.draft(estimated_value=usd("350000.01"))
    assert (solicitation.required_method, solicitation.method) == (PROPOSALS, PROPOSALS)


def test_a_solicitation_drafted_before_2025_10_01_uses_the_10000_and_250000_thresholds(
    coop: Cooperative,
) -> None:
    coop.clock.moment = BEFORE_RAISE

    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(estimated_value=usd("250000.01"), method=QUOTES, criteria=())
    assert set(refusal.value.fields) == {"method"}

    solicitation = coop.draft(estimated_value=usd("250000.01"))
    assert solicitation.thresholds == Thresholds(date(2018, 6, 20), usd("10000"), usd("250000"))
    assert solicitation.required_method is PROPOSALS
    assert coop.draft(estimated_value=usd("10000.01"), criteria=()).required_method is QUOTES


def test_the_same_value_drafted_on_2025_10_01_needs_only_quotes(coop: Cooperative) -> None:
    coop.clock.moment = BEFORE_RAISE
    before = coop.draft(estimated_value=usd("250000.01"))
    coop.clock.moment = BEFORE_RAISE.replace(day=1, month=10)

    after = coop.draft(estimated_value=usd("250000.01"), method=QUOTES, criteria=())

    assert before.required_method is PROPOSALS
    assert after.required_method is QUOTES
    assert after.thresholds.simplified_acquisition == usd("350000")


def test_a_draft_keeps_the_thresholds_of_the_day_it_was_drafted_when_revised_later(
    coop: Cooperative,
) -> None:
    coop.clock.moment = BEFORE_RAISE
    solicitation = coop.draft(estimated_value=usd("240000"), method=QUOTES, criteria=())
    coop.clock.moment = NOW

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.revise_solicitation(coop.lead, solicitation.id, {"estimated_value": usd("300000")})
    assert set(refusal.value.fields) == {"method"}

    revised = coop.app.revise_solicitation(
        coop.lead, solicitation.id, {"estimated_value": usd("250000")}
    )
    assert revised.estimated_value == usd("250000.00")
    assert revised.thresholds.simplified_acquisition == usd("250000")


# A consortium's local thresholds ----------------------------------------------------------------


def test_a_consortium_s_stricter_local_thresholds_win_over_federal_ones(
    fixed_clock: FixedClock,
) -> None:
    local = Thresholds(date(2025, 10, 1), usd("5000"), usd("100000"))
    coop = Cooperative.build(fixed_clock, local_thresholds=local)

    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(estimated_value=usd("150000"), method=QUOTES, criteria=())
    assert set(refusal.value.fields) == {"method"}

    solicitation = coop.draft(estimated_value=usd("150000"))
    assert solicitation.thresholds == Thresholds(date(2025, 10, 1), usd("5000"), usd("100000"))
    recorded = coop.app.get_consortium(coop.consortium_id).local_thresholds
    assert [(str(t.micro_purchase), str(t.simplified_acquisition)) for t in recorded] == [
        ("5000.00", "100000.00")  # money in whole cents, both places written
    ]
    assert solicitation.required_method is PROPOSALS
    assert coop.draft(estimated_value=usd("5000.01"), criteria=()).required_method is QUOTES


def test_local_thresholds_looser_than_federal_ones_are_refused_naming_each(
    coop: Cooperative,
) -> None:
    looser = Thresholds(date(2025, 10, 1), usd("20000"), usd("400000"))

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, looser)
    assert set(refusal.value.fields) == {"micro_purchase", "simplified_acquisition"}
    assert coop.app.get_consortium(coop.consortium_id).local_thresholds == []

    stricter = Thresholds(date(2025, 10, 1), usd("15000"), usd("300000"))
    consortium = coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, stricter)
    assert consortium.local_thresholds == [stricter]
    assert consortium.thresholds_on(NOW.date()).simplified_acquisition == usd("300000")


@pytest.mark.parametrize(
    ("micro", "simplified", "field"),
    [("5000.005", "100000", "micro_purchase"), ("5000", "100000.001", "simplified_acquisition")],
)
def test_local_thresholds_in_fractions_of_a_cent_are_refused_naming_the_field(
    coop: Cooperative, micro: str, simplified: str, field: str
) -> None:
    fractional = Thresholds(date(2025, 10, 1), usd(micro), usd(simplified))

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, fractional)
    assert set(refusal.value.fields) == {field}
    assert "whole cents" in refusal.value.message

    in_cents = Thresholds(date(2025, 10, 1), usd("5000.01"), usd("100000.99"))
    consortium = coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, in_cents)
    assert consortium.local_thresholds == [in_cents]


def test_local_thresholds_are_judged_against_the_federal_ones_of_their_effective_date(
    coop: Cooperative,
) -> None:
    # 12,000 is below today's 15,000 but above the 10,000 in force on 2025-06-01.
    with refused(InvalidValue, coop.app) as refusal:
        coop.app.set_consortium_thresholds(
            coop.lead, coop.consortium_id, Thresholds(date(2025, 6, 1), usd("12000"), usd("200000"))
        )
    assert set(refusal.value.fields) == {"micro_purchase"}

    accepted = Thresholds(date(2025, 10, 1), usd("12000"), usd("200000"))
    consortium = coop.app.set_consortium_thresholds(coop.lead, coop.consortium_id, accepted)
    assert consortium.local_thresholds == [accepted]


def test_a_consortium_formed_with_looser_local_thresholds_is_not_recorded(
    coop: Cooperative,
) -> None:
    looser = Thresholds(date(2025, 10, 1), usd("15000.01"), usd("350000"))

    with refused(InvalidValue, coop.app) as refusal:
        coop.app.form_consortium(coop.lead, "Loose Cooperative", coop.districts[0].id, looser)
    assert set(refusal.value.fields) == {"local_thresholds.micro_purchase"}

    federal = Thresholds(date(2025, 10, 1), usd("15000"), usd("350000"))
    formed = coop.app.form_consortium(
        coop.lead, "Federal Cooperative", coop.districts[0].id, federal
    )
    assert formed.local_thresholds == [federal]


# Choosing a method ------------------------------------------------------------------------------


def test_a_buyer_may_choose_sealed_bids_for_a_20000_purchase(coop: Cooperative) -> None:
    solicitation = coop.draft(estimated_value=usd("20000"), method=SEALED, criteria=())

    assert solicitation.required_method is QUOTES
    assert solicitation.method is SEALED
    assert solicitation.criteria == PRICE_ONLY


def test_a_request_for_quotes_for_400000_is_refused_naming_the_method(coop: Cooperative) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(estimated_value=usd("400000"), method=QUOTES, criteria=())
    assert set(refusal.value.fields) == {"method"}

    solicitation = coop.draft(estimated_value=usd("400000"), method=PROPOSALS)
    assert solicitation.method is PROPOSALS
    assert solicitation.status is SolicitationStatus.DRAFT


def test_a_noncompetitive_solicitation_without_a_justification_is_refused(
    coop: Cooperative,
) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(method=NONCOMPETITIVE, criteria=())
    assert set(refusal.value.fields) == {"justification"}

    solicitation = coop.draft(method=NONCOMPETITIVE, criteria=(), justification=single_source())
    assert solicitation.method is NONCOMPETITIVE
    assert solicitation.justification == Justification(NoncompetitiveCase.SINGLE_SOURCE, FACTS)


def test_a_noncompetitive_solicitation_cannot_claim_the_micro_purchase_case(
    coop: Cooperative,
) -> None:
    micro = Justification(NoncompetitiveCase.MICRO_PURCHASE, FACTS)

    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(method=NONCOMPETITIVE, criteria=(), justification=micro)
    assert set(refusal.value.fields) == {"justification.case"}

    emergency = Justification(NoncompetitiveCase.EMERGENCY, FACTS)
    solicitation = coop.draft(method=NONCOMPETITIVE, criteria=(), justification=emergency)
    assert solicitation.justification == emergency


def test_a_noncompetitive_justification_must_state_its_facts_in_20_characters(
    coop: Cooperative,
) -> None:
    terse = Justification(NoncompetitiveCase.SINGLE_SOURCE, "x" * 19)

    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(method=NONCOMPETITIVE, criteria=(), justification=terse)
    assert set(refusal.value.fields) == {"justification.explanation"}

    enough = Justification(NoncompetitiveCase.SINGLE_SOURCE, "x" * 20)
    solicitation = coop.draft(method=NONCOMPETITIVE, criteria=(), justification=enough)
    assert solicitation.justification == enough


def test_a_direct_purchase_cannot_be_solicited(coop: Cooperative) -> None:
    with refused(InvalidValue, coop.app) as refusal:
        coop.draft(estimated_value=usd("10000"), method=DIRECT, criteria=())
    assert set(refusal.value.fields) == {"method"}

    solicitation = coop.draft(estimated_value=usd("10000"), criteria=())
    assert (solicitation.required_method, solicitation.method) == (DIRECT, QUOTES)
