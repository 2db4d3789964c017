"""Prices are whole cents in USD; volume tiers start above one unit, rise, and never cost more."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from events.types import Pricing, VolumeTier
from marketplace.domain.accounts import Account
from marketplace.domain.errors import InvalidValue
from marketplace.domain.offerings import MAX_PRICE, MAX_TIERS, Offering
from tests.unit.factories import pricing


def refused_fields(owner: Account, value: Any) -> set[str]:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, {"title": "Prairie Math", "pricing": value})
    return set(refused.value.fields)


def test_a_valid_pricing_is_recorded_as_given(owner: Account) -> None:
    given = pricing("42.00", (250, "38.00"), (1000, "33.50"))

    offering = Offering.draft(owner, {"title": "Prairie Math", "pricing": given})

    assert offering.pricing == given


def test_volume_tiers_given_as_a_list_are_recorded_as_a_tuple(owner: Account) -> None:
    tiers = [VolumeTier(min_quantity=10, unit_price=Decimal("40"))]
    given = Pricing(
        unit=pricing().unit,
        list_price=Decimal("42"),
        volume_tiers=tiers,  # type: ignore[arg-type]
    )

    offering = Offering.draft(owner, {"title": "Prairie Math", "pricing": given})

    assert offering.pricing.volume_tiers == tuple(tiers)


def test_a_negative_list_price_is_refused(owner: Account) -> None:
    assert refused_fields(owner, pricing("-0.01")) == {"pricing.list_price"}


@pytest.mark.parametrize("price", ["NaN", "Infinity"])
def test_a_list_price_that_is_not_a_finite_number_is_refused(owner: Account, price: str) -> None:
    assert refused_fields(owner, pricing(price)) == {"pricing.list_price"}


def test_a_list_price_with_more_than_two_decimal_places_is_refused(owner: Account) -> None:
    assert refused_fields(owner, pricing("42.001")) == {"pricing.list_price"}


@pytest.mark.parametrize("price", ["0", "42", "42.5", "42.50"])
def test_a_list_price_in_whole_cents_is_accepted(owner: Account, price: str) -> None:
    offering = Offering.draft(owner, {"title": "Prairie Math", "pricing": pricing(price)})

    assert offering.pricing.list_price == Decimal(price)


@pytest.mark.parametrize("price", ["-0", "-0.00", "0E+3"])
def test_a_zero_list_price_is_recorded_as_0_00_whatever_its_sign(
    owner: Account, price: str
) -> None:
    offering = Offering.draft(owner, {"title": "Prairie Math", "pricing": pricing(price)})

    assert str(offering.pricing.list_price) == "0.00"


def test_a_list_price_above_the_maximum_is_refused(owner: Account) -> None:
    assert refused_fields(owner, pricing(str(MAX_PRICE + 1))) == {"pricing.list_price"}


@pytest.mark.parametrize("currency", ["EUR", "usd", ""])
def test_a_currency_other_than_usd_is_refused(owner: Account, currency: str) -> None:
    assert refused_fields(owner, pricing("42.00", currency=currency)) == {"pricing.currency"}


@pytest.mark.parametrize("min_quantity", [1, 0, -5])
def test_a_first_volume_tier_that_does_not_start_above_one_unit_is_refused(
    owner: Account, min_quantity: int
) -> None:
    assert refused_fields(owner, pricing("42.00", (min_quantity, "40.00"))) == {
        "pricing.volume_tiers.0.min_quantity"
    }


@pytest.mark.parametrize("second_quantity", [250, 100])
def test_volume_tiers_that_do_not_rise_in_min_quantity_are_refused(
    owner: Account, second_quantity: int
) -> None:
    value = pricing("42.00", (250, "38.00"), (second_quantity, "35.00"))

    assert refused_fields(owner, value) == {"pricing.volume_tiers.1.min_quantity"}


def test_a_tier_price_above_the_list_price_is_refused(owner: Account) -> None:
    assert refused_fields(owner, pricing("42.00", (250, "42.01"))) == {
        "pricing.volume_tiers.0.unit_price"
    }


def test_a_tier_price_above_a_smaller_tiers_price_is_refused(owner: Account) -> None:
    value = pricing("42.00", (250, "35.00"), (1000, "36.00"))

    assert refused_fields(owner, value) == {"pricing.volume_tiers.1.unit_price"}


def test_a_tier_price_equal_to_the_list_price_is_accepted(owner: Account) -> None:
    value = pricing("42.00", (250, "42.00"), (1000, "42.00"))

    assert Offering.draft(owner, {"title": "Prairie Math", "pricing": value}).pricing == value


def test_a_negative_tier_price_is_refused_naming_the_tier(owner: Account) -> None:
    value = pricing("42.00", (250, "38.00"), (1000, "-1.00"))

    assert refused_fields(owner, value) == {"pricing.volume_tiers.1.unit_price"}


def test_a_tier_price_with_fractions_of_a_cent_is_refused_naming_the_tier(owner: Account) -> None:
    value = pricing("42.00", (250, "38.005"))

    assert refused_fields(owner, value) == {"pricing.volume_tiers.0.unit_price"}


def test_more_than_the_maximum_number_of_volume_tiers_is_refused(owner: Account) -> None:
    tiers = [(10 * (n + 1), "40.00") for n in range(MAX_TIERS + 1)]

    assert refused_fields(owner, pricing("42.00", *tiers)) == {"pricing.volume_tiers"}


def test_the_maximum_number_of_volume_tiers_is_accepted(owner: Account) -> None:
    tiers = [(10 * (n + 1), "40.00") for n in range(MAX_TIERS)]

    offering = Offering.draft(owner, {"title": "Prairie Math", "pricing": pricing("42.00", *tiers)})

    assert len(offering.pricing.volume_tiers) == MAX_TIERS


def test_a_published_offering_cannot_be_revised_to_an_invalid_price(
    published: Offering, owner: Account
) -> None:
    before = published.pricing

    with pytest.raises(InvalidValue) as refused:
        published.revise(owner, {"pricing": pricing("42.00", (250, "50.00"))})

    assert set(refused.value.fields) == {"pricing.volume_tiers.0.unit_price"}
    assert published.pricing == before
    assert published.collect_events() == []
