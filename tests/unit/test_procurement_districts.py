"""Districts (NCES id, locale, attendance; small and rural status derived) and the consortia they
form: only the lead district's buyer forms one; districts join and leave by their own buyer or the
lead's; the lead never leaves."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from events.types import Role
from marketplace.application import Marketplace
from marketplace.domain.accounts import Account
from marketplace.domain.districts import NCES_LOCALES, District
from marketplace.domain.errors import InvalidValue, NotAllowed, NotFound, WrongState
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import NOW, Cooperative, in_memory_marketplace, refused


@pytest.fixture
def market(fixed_clock: FixedClock) -> Marketplace:
    fixed_clock.moment = NOW
    return in_memory_marketplace()


@pytest.fixture
def buyer(market: Marketplace) -> Account:
    account, _ = market.open_account(None, Role.BUYER, "buyer of Big Timber")
    return account


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    return Cooperative.build(fixed_clock)


def _register(market: Marketplace, buyer: Account, **overrides: Any) -> District:
    details: dict[str, Any] = {
        "nces_id": "3000001",
        "name": "Big Timber",
        "state": "MT",
        "locale_code": 43,
        "enrollment": 400,
        "average_daily_attendance": 380,
    }
    details.update(overrides)
    return market.register_district(buyer, **details)


# Registering a district ---------------------------------------------------------------------------


@pytest.mark.parametrize("nces_id", ["300001", "30000012", "30000A1", "300 001", ""])
def test_an_nces_id_must_be_seven_digits(market: Marketplace, buyer: Account, nces_id: str) -> None:
    with refused(InvalidValue, market, buyer) as refusal:
        _register(market, buyer, nces_id=nces_id)
    assert set(refusal.value.fields) == {"nces_id"}
    assert buyer.organization_id is None

    district = _register(market, buyer, nces_id="3000001")
    assert district.nces_id == "3000001"
    assert buyer.organization_id == district.id


@pytest.mark.parametrize("locale_code", [0, 10, 14, 34, 40, 44, 99])
def test_the_locale_code_must_be_an_nces_locale_code(
    market: Marketplace, buyer: Account, locale_code: int
) -> None:
    with refused(InvalidValue, market, buyer) as refusal:
        _register(market, buyer, locale_code=locale_code)
    assert set(refusal.value.fields) == {"locale_code"}

    assert _register(market, buyer, locale_code=41).locale_code == 41


def test_average_daily_attendance_may_not_exceed_enrollment(
    market: Marketplace, buyer: Account
) -> None:
    with refused(InvalidValue, market, buyer) as refusal:
        _register(market, buyer, enrollment=400, average_daily_attendance=401)
    assert set(refusal.value.fields) == {"average_daily_attendance"}

    district = _register(market, buyer, enrollment=400, average_daily_attendance=400)
    assert (district.enrollment, district.average_daily_attendance) == (400, 400)


def test_an_nces_id_is_registered_once(market: Marketplace, buyer: Account) -> None:
    _register(market, buyer)
    other, _ = market.open_account(None, Role.BUYER, "another buyer")

    with refused(InvalidValue, market, other) as refusal:
        _register(market, other, name="Big Timber Again")
    assert set(refusal.value.fields) == {"nces_id"}

    assert _register(market, other, nces_id="3000002", name="Harlowton").nces_id == "3000002"


@pytest.mark.parametrize("locale_code", sorted(NCES_LOCALES))
def test_a_district_is_rural_exactly_in_locales_41_42_and_43(
    market: Marketplace, buyer: Account, locale_code: int
) -> None:
    district = _register(market, buyer, locale_code=locale_code)

    assert district.rural is (locale_code in (41, 42, 43))


def test_a_district_with_599_in_average_daily_attendance_is_small_and_600_is_not(
    market: Marketplace, buyer: Account
) -> None:
    other, _ = market.open_account(None, Role.BUYER, "buyer of Harlowton")

    small = _register(market, buyer, enrollment=700, average_daily_attendance=599)
    not_small = _register(
        market, other, nces_id="3000002", enrollment=700, average_daily_attendance=600
    )

    assert small.small is True
    assert not_small.small is False


def test_small_and_rural_status_is_derived_again_when_the_district_is_reloaded(
    market: Marketplace, buyer: Account
) -> None:
    district = _register(market, buyer, locale_code=42, average_daily_attendance=120)

    reloaded = market.get_district(district.id)

    assert (reloaded.rural, reloaded.small) == (True, True)


# Forming a consortium ---------------------------------------------------------------------------


def test_only_a_buyer_of_the_lead_district_forms_its_consortium(coop: Cooperative) -> None:
    with refused(NotAllowed, coop.app):
        coop.app.form_consortium(coop.buyers[1], "Harlowton-led", coop.districts[0].id, None)

    formed = coop.app.form_consortium(coop.lead, "Big Timber-led", coop.districts[0].id, None)
    assert formed.lead_district_id == coop.districts[0].id
    assert formed.members == [coop.districts[0].id]


def test_a_district_may_belong_to_several_consortia(coop: Cooperative) -> None:
    second = coop.app.form_consortium(
        coop.buyers[2], "Meagher County Cooperative", coop.districts[2].id, None
    )

    coop.app.add_consortium_member(coop.buyers[1], second.id, coop.districts[1].id)

    assert coop.districts[1].id in coop.app.get_consortium(coop.consortium_id).members
    assert coop.app.get_consortium(second.id).members == [
        coop.districts[2].id,
        coop.districts[1].id,
    ]
    with refused(WrongState, coop.app):
        coop.app.add_consortium_member(coop.buyers[1], second.id, coop.districts[1].id)


# Joining and leaving ----------------------------------------------------------------------------


def test_the_lead_district_cannot_leave_its_consortium(coop: Cooperative) -> None:
    with refused(WrongState, coop.app):
        coop.app.remove_consortium_member(coop.lead, coop.consortium_id, coop.districts[0].id)

    left = coop.app.remove_consortium_member(coop.lead, coop.consortium_id, coop.districts[2].id)
    assert left.members == [coop.districts[0].id, coop.districts[1].id]


def test_a_district_is_added_only_by_the_lead_s_buyer_or_its_own_buyer(coop: Cooperative) -> None:
    melville_buyer, melville = coop.add_district("3000004", "Melville", locale_code=42)
    _, rapelje = coop.add_district("3000005", "Rapelje", locale_code=43)

    with refused(NotAllowed, coop.app):  # a fellow member's buyer
        coop.app.add_consortium_member(coop.buyers[2], coop.consortium_id, melville.id)

    by_own_buyer = coop.app.add_consortium_member(melville_buyer, coop.consortium_id, melville.id)
    assert by_own_buyer.members[-1] == melville.id
    by_lead = coop.app.add_consortium_member(coop.lead, coop.consortium_id, rapelje.id)
    assert by_lead.members[-1] == rapelje.id


def test_a_district_is_removed_only_by_the_lead_s_buyer_or_its_own_buyer(
    coop: Cooperative,
) -> None:
    with refused(NotAllowed, coop.app):
        coop.app.remove_consortium_member(coop.buyers[2], coop.consortium_id, coop.districts[1].id)

    left = coop.app.remove_consortium_member(
        coop.buyers[1], coop.consortium_id, coop.districts[1].id
    )
    assert coop.districts[1].id not in left.members
    removed = coop.app.remove_consortium_member(
        coop.lead, coop.consortium_id, coop.districts[2].id
    )
    assert removed.members == [coop.districts[0].id]


def test_a_district_that_is_not_a_member_cannot_be_removed(coop: Cooperative) -> None:
    buyer, melville = coop.add_district("3000004", "Melville", locale_code=42)

    with refused(WrongState, coop.app):
        coop.app.remove_consortium_member(buyer, coop.consortium_id, melville.id)

    coop.app.add_consortium_member(buyer, coop.consortium_id, melville.id)
    left = coop.app.remove_consortium_member(buyer, coop.consortium_id, melville.id)
    assert melville.id not in left.members


def test_removing_a_district_that_does_not_exist_is_not_found(coop: Cooperative) -> None:
    unknown = uuid4()

    with refused(NotFound, coop.app) as refusal:
        coop.app.remove_consortium_member(coop.lead, coop.consortium_id, unknown)
    assert refusal.value.message == f"district {unknown} not found"
