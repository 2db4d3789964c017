"""Through HTTP: what is bought by seats is priced per seat. A proposal (submitted or revised)
priced per school, per district or one-time is refused naming ``pricing.unit``; a direct purchase
of an offering so priced is refused naming ``offering_id``; proposals priced per student and per
teacher are not ranked against each other. Each refusal records nothing, and the offering stays
listed in the catalog in its own unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Caller, complete_offering
from tests.e2e.procurement_helpers import (
    Market,
    error_fields,
    form_consortium,
    ok,
    proposal_body,
    refused,
)

NOT_PER_SEAT = ["per_school_per_year", "per_district_per_year", "one_time"]


@pytest.fixture
def market(
    clock: Any, app: Any, make_account: Any, make_provider: Any, anonymous: Caller
) -> Market:
    """Three small rural districts in one consortium (the first leads); bidders on demand."""
    return Market(app, clock, make_account, make_provider, form_consortium(make_account), anonymous)


def _priced(unit: str, list_price: str) -> dict[str, Any]:
    return {"unit": unit, "list_price": list_price, "volume_tiers": []}


def _body(market: Market, n: int, unit: str, list_price: str) -> dict[str, Any]:
    return {**proposal_body(market.bidders[n]), "pricing": _priced(unit, list_price)}


def _submit(market: Market, solicitation_id: str, n: int, unit: str, list_price: str) -> Any:
    return market.bidders[n].caller.post(
        f"/api/v1/solicitations/{solicitation_id}/proposals",
        json=_body(market, n, unit, list_price),
    )


def _sealed_bids(market: Market) -> dict[str, Any]:
    body = market.need(method="sealed_bids")
    del body["criteria"]
    return market.open(body)


# Proposals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", NOT_PER_SEAT)
def test_a_proposal_not_priced_per_seat_is_refused_naming_pricing_unit_and_records_nothing(
    market: Market, unit: str
) -> None:
    solicitation = market.open()
    bidder = market.bidders[0]

    body = refused(_submit(market, solicitation["id"], 0, unit, "9000.00"), 422, "pricing.unit")

    assert unit in body["message"] and "catalog" in body["message"]
    assert ok(bidder.caller.get("/api/v1/proposals"))["total"] == 0
    assert market.get(solicitation["id"])["version"] == solicitation["version"]


def test_a_proposal_priced_per_teacher_is_accepted(market: Market) -> None:
    solicitation = market.open()

    proposal = ok(
        _submit(market, solicitation["id"], 0, "per_teacher_per_year", "1200.00"), 201
    )

    assert proposal["pricing"]["unit"] == "per_teacher_per_year"


def test_revising_a_proposal_to_a_price_per_district_is_refused_and_changes_nothing(
    market: Market,
) -> None:
    solicitation = market.open()
    proposal = market.propose(solicitation["id"], market.bidders[0])
    author = market.bidders[0].caller
    path = f"/api/v1/proposals/{proposal['id']}"

    refused(
        author.patch(path, json={"pricing": _priced("per_district_per_year", "50000.00")}),
        422,
        "pricing.unit",
    )

    after = ok(author.get(path))
    assert after["version"] == proposal["version"]
    assert after["pricing"] == proposal["pricing"]


def test_proposals_priced_per_student_and_per_teacher_are_not_ranked_against_each_other(
    market: Market,
) -> None:
    solicitation = _sealed_bids(market)
    sid = solicitation["id"]
    per_student = ok(_submit(market, sid, 0, "per_student_per_year", "390.00"), 201)
    per_teacher = ok(_submit(market, sid, 1, "per_teacher_per_year", "150.00"), 201)
    closed = market.close(sid)

    response = market.lead.post(f"/api/v1/solicitations/{sid}/evaluation/complete")

    body = refused(response, 422, "pricing.unit")
    assert per_teacher["id"] in body["message"] and per_student["id"] in body["message"]
    after = market.get(sid)
    assert after["status"] == "closed" and after["version"] == closed["version"]

    ok(
        market.lead.post(
            f"/api/v1/solicitations/{sid}/nonresponsive",
            json={
                "proposal_id": per_teacher["id"],
                "reason": "Priced per teacher; the demand counts student seats.",
            },
        )
    )
    ranked = market.complete(sid)
    assert [r["proposal_id"] for r in ranked["ranking"]] == [per_student["id"]]


# Direct purchase -------------------------------------------------------------------------------


def _offering(market: Market, unit: str, list_price: str) -> dict[str, Any]:
    caller, _ = market.make_provider(name=f"Priced {unit}")
    body = complete_offering(title=f"Offering {unit}", pricing=_priced(unit, list_price))
    created = ok(caller.post("/api/v1/offerings", json=body), 201)
    return ok(caller.post(f"/api/v1/offerings/{created['id']}/publish"))


def _direct_purchase(market: Market, offering: dict[str, Any], seats: int) -> Any:
    today = market.clock.moment.date()
    return market.lead.post(
        "/api/v1/direct-purchases",
        json={
            "offering_id": offering["id"],
            "demand": [{"district_id": market.consortium.districts[0]["id"], "seats": seats}],
            "price_reasonableness": "List price matches two comparable offerings we priced.",
            "term_start": today.isoformat(),
            "term_end": today.replace(year=today.year + 1).isoformat(),
        },
    )


def _district_contracts(market: Market) -> int:
    district_id = market.consortium.districts[0]["id"]
    return ok(market.lead.get(f"/api/v1/contracts?district_id={district_id}"))["total"]


@pytest.mark.parametrize("unit", NOT_PER_SEAT)
def test_a_direct_purchase_of_an_offering_not_priced_per_seat_is_refused_naming_offering_id(
    market: Market, unit: str
) -> None:
    offering = _offering(market, unit, "9000.00")

    response = _direct_purchase(market, offering, 1)

    body = refused(response, 422, "offering_id")
    assert error_fields(response) == {"offering_id"}
    assert unit in body["message"] and "per seat" in body["message"]
    assert "catalog" in body["message"]
    assert _district_contracts(market) == 0
    listed = ok(market.anonymous.get(f"/api/v1/offerings/{offering['id']}"))
    assert listed["status"] == "published" and listed["pricing"]["unit"] == unit


def test_a_direct_purchase_of_an_offering_priced_per_teacher_pays_list_per_teacher(
    market: Market,
) -> None:
    offering = _offering(market, "per_teacher_per_year", "600.00")

    contract = ok(_direct_purchase(market, offering, 25), 201)

    assert Decimal(contract["total_value"]) == Decimal("15000.00")  # 25 teachers x 600.00
    assert _district_contracts(market) == 1
