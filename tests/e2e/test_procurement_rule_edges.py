"""Through HTTP, the edges of the procurement rules of PRODUCT.md: each part of the award record
(rule 9), the exact proposals deadline (rules 2 and 4), the exact simplified acquisition threshold
(rule 8), a sealed bid standing alone (rule 7) and a claimed evidence tier without its study
(rule 10). Each refusal names the field at fault and is shown to have changed nothing: the record
read back, its version, and the head of the event log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Caller, complete_offering
from tests.e2e.procurement_helpers import (
    CRITERIA,
    Bidder,
    Market,
    error_fields,
    form_consortium,
    ok,
    pricing,
    proposal_body,
    refused,
)

PROPOSALS_DUE = "2026-11-23T17:00:00+00:00"
"""A round deadline (three weeks after the test clock starts), so a test can stop the clock on
it exactly."""

INADEQUATE_COMPETITION = {
    "case": "inadequate_competition",
    "explanation": "Advertised for 21 days to every provider; a single sealed bid came in.",
}


@pytest.fixture
def market(
    clock: Any, app: Any, make_account: Any, make_provider: Any, anonymous: Caller
) -> Market:
    """Three small rural districts in one consortium (the first leads); bidders on demand."""
    return Market(app, clock, make_account, make_provider, form_consortium(make_account), anonymous)


def log_head(app: Any) -> int:
    """The position of the last event recorded, by anyone."""
    with app.app_context():
        return app.extensions["marketplace"].get().app.recorder.max_notification_id() or 0


@contextmanager
def clock_stopped_at(clock: Any, moment: datetime) -> Iterator[None]:
    """Every reading of the clock answers ``moment`` exactly (the test clock otherwise ticks a
    microsecond per reading, which would judge a request just after the deadline, not at it)."""
    clock.moment = moment
    clock.now = lambda: moment
    try:
        yield
    finally:
        del clock.now


def _price_only(body: dict[str, Any]) -> dict[str, Any]:
    body.pop("criteria", None)
    return body


def _contracts_of(market: Market, district: int = 0) -> int:
    district_id = market.consortium.districts[district]["id"]
    return ok(market.lead.get(f"/api/v1/contracts?district_id={district_id}"))["total"]


def _not_awarded(market: Market, evaluated: dict[str, Any], head: int) -> None:
    """The award was refused and left nothing behind: the solicitation as it was, no contract,
    no event."""
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["contract_id"] is None
    assert after["version"] == evaluated["version"]
    assert _contracts_of(market) == 0
    assert log_head(market.app) == head


# Rule 9: every part of the award record --------------------------------------------------------

RECORD_FIELDS = ("method_rationale", "selection_reason", "price_basis", "contract_type")


@pytest.fixture
def evaluated(market: Market) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ranked competitive-proposals solicitation and a complete award body for its winner."""
    solicitation, proposals = market.run_to_evaluation()
    winner = solicitation["ranking"][0]["proposal_id"]
    return solicitation, market.award_body(winner, [p["id"] for p in proposals])


@pytest.mark.parametrize("field", RECORD_FIELDS)
def test_an_award_missing_or_blank_in_one_part_of_its_record_is_refused_naming_that_part(
    market: Market, evaluated: tuple[dict[str, Any], dict[str, Any]], field: str
) -> None:
    solicitation, complete = evaluated
    head = log_head(market.app)
    missing = {k: v for k, v in complete.items() if k != field}
    for body in (missing, {**complete, field: ""}, {**complete, field: "   "}):
        response = market.award(solicitation["id"], body)
        refused(response, 422, field)
        assert error_fields(response) == {field}, body[field] if field in body else "missing"
        _not_awarded(market, solicitation, head)

    contract = ok(market.award(solicitation["id"], complete), 201)
    recorded = contract if field == "contract_type" else contract["award"]
    assert recorded[field] == complete[field]
    assert log_head(market.app) > head  # the log head moves when something is recorded


def test_an_award_missing_every_part_of_its_record_is_refused_naming_each(
    market: Market, evaluated: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    solicitation, complete = evaluated
    head = log_head(market.app)
    body = {k: v for k, v in complete.items() if k not in RECORD_FIELDS}
    response = market.award(solicitation["id"], body)
    refused(response, 422, *RECORD_FIELDS)
    assert error_fields(response) == set(RECORD_FIELDS)
    _not_awarded(market, solicitation, head)


def test_an_award_whose_reasons_are_all_blank_is_refused_naming_each(
    market: Market, evaluated: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    solicitation, complete = evaluated
    head = log_head(market.app)
    blank = {"method_rationale": " ", "selection_reason": "\n", "price_basis": "  "}
    response = market.award(solicitation["id"], {**complete, **blank})
    refused(response, 422, *blank)
    assert error_fields(response) == set(blank)
    _not_awarded(market, solicitation, head)


# Rule 4: nothing accepted, revised or withdrawn at the deadline itself -------------------------


@pytest.fixture
def due_with_one_proposal(market: Market) -> tuple[dict[str, Any], dict[str, Any], datetime]:
    """A published solicitation due at ``PROPOSALS_DUE`` with bidder 0's proposal in, and the
    deadline."""
    solicitation = market.open(proposals_due=PROPOSALS_DUE)
    proposal = market.propose(solicitation["id"], market.bidders[0])
    due = datetime.fromisoformat(market.get(solicitation["id"])["proposals_due"])
    assert due == datetime.fromisoformat(PROPOSALS_DUE)
    return solicitation, proposal, due


def _refused_at_the_deadline(response: Any) -> None:
    body = refused(response, 409)
    assert "deadline" in body["message"], body


def _opened_at_closing(market: Market, solicitation: dict[str, Any]) -> int:
    return market.close(solicitation["id"])["opened_proposals"]


def test_a_proposal_submitted_exactly_at_the_deadline_is_refused(
    market: Market, due_with_one_proposal: tuple[dict[str, Any], dict[str, Any], datetime]
) -> None:
    solicitation, _, due = due_with_one_proposal
    late = market.bidders[1]
    head = log_head(market.app)
    with clock_stopped_at(market.clock, due):
        _refused_at_the_deadline(
            late.caller.post(
                f"/api/v1/solicitations/{solicitation['id']}/proposals", json=proposal_body(late)
            )
        )
        assert ok(late.caller.get("/api/v1/proposals"))["total"] == 0
        assert market.get(solicitation["id"])["version"] == solicitation["version"]
    assert log_head(market.app) == head
    assert _opened_at_closing(market, solicitation) == 1


def test_a_proposal_revised_exactly_at_the_deadline_is_refused(
    market: Market, due_with_one_proposal: tuple[dict[str, Any], dict[str, Any], datetime]
) -> None:
    solicitation, proposal, due = due_with_one_proposal
    author = market.bidders[0].caller
    path = f"/api/v1/proposals/{proposal['id']}"
    head = log_head(market.app)
    with clock_stopped_at(market.clock, due):
        _refused_at_the_deadline(
            author.patch(path, json={"narrative": "Revised at the last instant."})
        )
        after = ok(author.get(path))
    assert after["version"] == proposal["version"] and after["narrative"] == proposal["narrative"]
    assert after["pricing"] == proposal["pricing"]
    assert log_head(market.app) == head


def test_a_proposal_withdrawn_exactly_at_the_deadline_is_refused(
    market: Market, due_with_one_proposal: tuple[dict[str, Any], dict[str, Any], datetime]
) -> None:
    solicitation, proposal, due = due_with_one_proposal
    author = market.bidders[0].caller
    head = log_head(market.app)
    with clock_stopped_at(market.clock, due):
        _refused_at_the_deadline(
            author.post(
                f"/api/v1/proposals/{proposal['id']}/withdraw", json={"reason": "Changed our mind."}
            )
        )
        after = ok(author.get(f"/api/v1/proposals/{proposal['id']}"))
    assert after["status"] == "submitted" and after["version"] == proposal["version"]
    assert log_head(market.app) == head
    assert _opened_at_closing(market, solicitation) == 1


# Rule 2: criteria locked at publication, amended only before the deadline ----------------------

REBALANCED = [
    {"name": "Price", "weight": 50, "is_price": True},
    {"name": "Instructional approach", "weight": 30},
    {"name": "Rural implementation support", "weight": 20},
]


def _criteria_unchanged(market: Market, published: dict[str, Any], head: int) -> None:
    after = market.get(published["id"])
    assert after["status"] == "published" and after["version"] == published["version"]
    assert after["criteria"] == published["criteria"] and after["amendments"] == 0
    assert log_head(market.app) == head


def test_a_published_solicitations_criteria_cannot_be_changed_by_patch(market: Market) -> None:
    published = market.open()
    assert [(c["name"], c["weight"]) for c in published["criteria"]] == [
        (c["name"], c["weight"]) for c in CRITERIA
    ]
    head = log_head(market.app)
    response = market.lead.patch(
        f"/api/v1/solicitations/{published['id']}", json={"criteria": REBALANCED}
    )
    refused(response, 409)
    _criteria_unchanged(market, published, head)


@pytest.mark.parametrize("reopening", [False, True], ids=["criteria", "criteria-and-new-deadline"])
@pytest.mark.parametrize("when", ["at", "a-minute-after"])
def test_an_amendment_at_or_after_the_proposals_deadline_is_refused(
    market: Market, when: str, reopening: bool
) -> None:
    published = market.open(proposals_due=PROPOSALS_DUE)
    due = datetime.fromisoformat(PROPOSALS_DUE)
    head = log_head(market.app)
    amendment: dict[str, Any] = {"criteria": REBALANCED, "rationale": "Price should weigh more."}
    if reopening:  # a late amendment must not reopen the competition by moving the deadline
        amendment["proposals_due"] = (due + timedelta(days=7)).isoformat()
    path = f"/api/v1/solicitations/{published['id']}/amendments"
    if when == "at":
        with clock_stopped_at(market.clock, due):
            _refused_at_the_deadline(market.lead.post(path, json=amendment))
    else:
        market.pass_deadline(published["id"])  # a minute after; the scheduler has not closed it
        _refused_at_the_deadline(market.lead.post(path, json=amendment))
    _criteria_unchanged(market, published, head)
    assert market.get(published["id"])["proposals_due"] == published["proposals_due"]


# Rule 8: the cost or price analysis, at the exact simplified acquisition threshold -------------


def _sealed_bids(
    market: Market, seats: int, demand_from: int, bids: list[tuple[str, str, int]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Sealed bids estimated at exactly 350,000.00 (the estimate alone needs no analysis), each
    of the first ``demand_from`` members needing ``seats``; one bid per (list price, tier price,
    tier's minimum quantity); closed and ranked by price."""
    body = _price_only(
        market.need(
            seats=seats, demand_from=demand_from, estimated_value="350000.00", method="sealed_bids"
        )
    )
    solicitation = market.open(body)
    proposals = [
        ok(
            bidder.caller.post(
                f"/api/v1/solicitations/{solicitation['id']}/proposals",
                json={**proposal_body(bidder), "pricing": pricing(listed, tier, quantity)},
            ),
            201,
        )
        for bidder, (listed, tier, quantity) in zip(market.bidders, bids)
    ]
    market.close(solicitation["id"])
    return market.complete(solicitation["id"]), proposals


def test_an_award_of_exactly_350000_00_needs_no_cost_or_price_analysis(market: Market) -> None:
    # Two members need 500 seats each: 1,000 seats at the 1,000-seat tier of 350.00.
    evaluated, proposals = _sealed_bids(
        market, 500, 2, [("400.00", "350.00", 1000), ("400.00", "360.00", 1000)]
    )
    assert evaluated["ranking"][0]["proposal_id"] == proposals[0]["id"]
    body = market.award_body(
        proposals[0]["id"], [p["id"] for p in proposals], cost_price_analysis=None
    )
    contract = ok(market.award(evaluated["id"], body), 201)
    assert Decimal(contract["total_value"]) == Decimal("350000.00")
    assert Decimal(contract["unit_price"]) == Decimal("350.00")
    assert contract["award"]["cost_price_analysis"] is None


def test_an_award_of_350000_01_without_a_cost_or_price_analysis_is_refused_naming_it(
    market: Market,
) -> None:
    # Three members need 3 seats each: 9 seats at the 9-seat tier of 38,888.89 = 350,000.01.
    evaluated, proposals = _sealed_bids(
        market, 3, 3, [("40000.00", "38888.89", 9), ("40000.00", "39000.00", 9)]
    )
    assert evaluated["ranking"][0]["proposal_id"] == proposals[0]["id"]
    body = market.award_body(
        proposals[0]["id"], [p["id"] for p in proposals], cost_price_analysis=None
    )
    head = log_head(market.app)
    for analysis in (None, "", "   "):
        response = market.award(evaluated["id"], {**body, "cost_price_analysis": analysis})
        refused(response, 422, "cost_price_analysis")
        assert error_fields(response) == {"cost_price_analysis"}
        _not_awarded(market, evaluated, head)

    analysis = "Compared the two sealed bids with each other and with the list prices."
    contract = ok(market.award(evaluated["id"], {**body, "cost_price_analysis": analysis}), 201)
    assert Decimal(contract["total_value"]) == Decimal("350000.01")
    assert contract["award"]["cost_price_analysis"] == analysis


# Rule 7: a sealed bid standing alone -----------------------------------------------------------


def _sealed_bid(market: Market, bidder: Bidder, sid: str) -> dict[str, Any]:
    return market.propose(sid, bidder, "400.00", "380.00")


@pytest.mark.parametrize("how", ["only-one-bid", "other-bid-declared-nonresponsive"])
def test_sealed_bids_with_a_single_responsive_bid_are_awarded_only_with_a_justification(
    market: Market, how: str
) -> None:
    solicitation = market.open(_price_only(market.need(method="sealed_bids")))
    assert solicitation["method"] == "sealed_bids"
    sid = solicitation["id"]
    bidders = market.bidders[:1] if how == "only-one-bid" else market.bidders[:2]
    bids = [_sealed_bid(market, bidder, sid) for bidder in bidders]
    market.close(sid)
    if how == "other-bid-declared-nonresponsive":
        ok(
            market.lead.post(
                f"/api/v1/solicitations/{sid}/nonresponsive",
                json={"proposal_id": bids[1]["id"], "reason": "The bid form was not signed."},
            )
        )
    evaluated = market.complete(sid)
    assert [r["proposal_id"] for r in evaluated["ranking"]] == [bids[0]["id"]]
    body = market.award_body(bids[0]["id"], [b["id"] for b in bids])
    head = log_head(market.app)

    response = market.award(sid, body)
    refused(response, 422, "justification")
    assert error_fields(response) == {"justification"}
    _not_awarded(market, evaluated, head)

    contract = ok(market.award(sid, {**body, "justification": INADEQUATE_COMPETITION}), 201)
    assert contract["award"]["method"] == "sealed_bids"
    assert contract["award"]["justification"] == INADEQUATE_COMPETITION
    assert market.get(sid)["contract_id"] == contract["id"]
    assert log_head(market.app) > head


# Rule 10: a claimed evidence tier carries its study --------------------------------------------


def _claim(left_out: str, blank: bool) -> dict[str, Any]:
    """An evidence claim with ``left_out`` missing, or blank."""
    claim: dict[str, Any] = {
        "tier": 2,
        "study_url": "https://evidence.example.org/prairie-math",
        "study_date": "2024-05-01",
    }
    if blank:
        claim[left_out] = ""
    else:
        del claim[left_out]
    return claim


def _own_offerings(caller: Caller, provider_id: str) -> dict[str, Any]:
    return ok(caller.get(f"/api/v1/providers/{provider_id}/offerings"))


@pytest.mark.parametrize("blank", [False, True], ids=["missing", "blank"])
@pytest.mark.parametrize("left_out", ["study_url", "study_date"])
def test_a_draft_claiming_an_evidence_tier_without_its_study_is_refused_naming_the_field(
    app: Any, provider: tuple[Caller, str], left_out: str, blank: bool
) -> None:
    caller, provider_id = provider
    head = log_head(app)
    response = caller.post(
        "/api/v1/offerings", json=complete_offering(evidence=_claim(left_out, blank))
    )
    refused(response, 422, f"evidence.{left_out}")
    assert error_fields(response) == {f"evidence.{left_out}"}
    assert _own_offerings(caller, provider_id)["total"] == 0
    assert log_head(app) == head


@pytest.mark.parametrize("blank", [False, True], ids=["missing", "blank"])
@pytest.mark.parametrize("left_out", ["study_url", "study_date"])
def test_a_revision_claiming_an_evidence_tier_without_its_study_is_refused_naming_the_field(
    app: Any, provider: tuple[Caller, str], left_out: str, blank: bool
) -> None:
    caller, _ = provider
    drafted = ok(caller.post("/api/v1/offerings", json=complete_offering(evidence=None)), 201)
    path = f"/api/v1/offerings/{drafted['id']}"
    head = log_head(app)
    response = caller.patch(path, json={"evidence": _claim(left_out, blank)})
    refused(response, 422, f"evidence.{left_out}")
    assert error_fields(response) == {f"evidence.{left_out}"}
    after = ok(caller.get(path))
    assert after["version"] == drafted["version"] and after["evidence"] is None
    assert log_head(app) == head


def test_a_deadline_with_no_time_in_utc_is_refused_and_nothing_is_recorded(
    market: Market, services: Any
) -> None:
    """9999-12-31 at -05:00 is in the year 10000 in UTC: recorded, it stopped the read models and
    the scheduler for every solicitation."""
    head = services.runner.head()
    body = market.need()
    body["proposals_due"] = "9999-12-31T23:00:00-05:00"
    refused(market.lead.post("/api/v1/solicitations", json=body), 422, "proposals_due")
    assert services.runner.head() == head

    published = market.open()
    amend = f"/api/v1/solicitations/{published['id']}/amendments"
    late = {"rationale": "Extend.", "proposals_due": "9999-12-31T23:00:00-05:00"}
    refused(market.lead.post(amend, json=late), 422, "proposals_due")
    assert market.get(published["id"])["version"] == published["version"]
    health = market.anonymous.get("/health").get_json()
    assert health["status"] == "ok", health
