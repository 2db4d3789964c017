"""Through HTTP, one behaviour per test: each procurement rule of PRODUCT.md refuses the wrong
thing with the right status, naming the field at fault, leaves nothing changed, and lets the
right thing through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from marketplace.domain.validation import MAX_SEATS
from tests.conftest import Caller, complete_offering
from tests.e2e.procurement_helpers import (
    CRITERIA,
    POINTS,
    Market,
    error_fields,
    form_consortium,
    ok,
    proposal_body,
    publish_offering,
    refused,
    weighted_total,
)


@pytest.fixture
def market(
    clock: Any, app: Any, make_account: Any, make_provider: Any, anonymous: Caller
) -> Market:
    """Three small rural districts in one consortium (the first leads); bidders on demand."""
    return Market(app, clock, make_account, make_provider, form_consortium(make_account), anonymous)


def _pipeline(market: Market) -> dict[str, Any]:
    return ok(market.lead.get(f"/api/v1/consortia/{market.consortium.id}/solicitations"))


def _price_only(body: dict[str, Any]) -> dict[str, Any]:
    """Price-ranked methods (quotes, sealed bids) publish no weighted criteria of their own."""
    body.pop("criteria", None)
    return body


# Rule 1: the method follows from the value and the thresholds in force -------------------------


@pytest.mark.parametrize(
    ("estimated_value", "required_method", "default_method"),
    [
        ("15000.00", "direct_purchase", "request_for_quotes"),
        ("15000.01", "request_for_quotes", "request_for_quotes"),
        ("350000.00", "request_for_quotes", "request_for_quotes"),
        ("350000.01", "competitive_proposals", "competitive_proposals"),
    ],
)
def test_the_required_method_follows_the_estimated_value_at_the_exact_federal_thresholds(
    market: Market, estimated_value: str, required_method: str, default_method: str
) -> None:
    body = market.need(estimated_value=estimated_value)
    if default_method != "competitive_proposals":
        _price_only(body)
    drafted = market.draft(body)
    assert drafted["estimated_value"] == estimated_value
    assert drafted["required_method"] == required_method
    assert drafted["method"] == default_method
    assert Decimal(drafted["thresholds"]["micro_purchase"]) == 15000
    assert Decimal(drafted["thresholds"]["simplified_acquisition"]) == 350000


def test_choosing_a_looser_method_than_the_value_requires_is_refused_naming_method(
    market: Market,
) -> None:
    body = _price_only(market.need(estimated_value="400000.00", method="request_for_quotes"))
    response = market.lead.post("/api/v1/solicitations", json=body)
    refused(response, 422, "method")
    assert _pipeline(market)["total"] == 0


def test_choosing_a_stricter_method_than_the_value_requires_is_accepted(market: Market) -> None:
    drafted = market.draft(
        _price_only(market.need(estimated_value="20000.00", method="sealed_bids"))
    )
    assert drafted["required_method"] == "request_for_quotes"
    assert drafted["method"] == "sealed_bids"
    assert drafted["criteria"] == [
        {"name": "Price", "weight": 100, "is_price": True, "description": None}
    ]
    assert market.publish(drafted["id"])["method"] == "sealed_bids"


def test_a_noncompetitive_method_without_a_justification_is_refused_naming_justification(
    market: Market,
) -> None:
    body = market.need(estimated_value="90000.00", method="noncompetitive")
    response = market.lead.post("/api/v1/solicitations", json=body)
    refused(response, 422, "justification")
    assert _pipeline(market)["total"] == 0


def test_a_noncompetitive_justification_must_state_the_facts_in_at_least_20_characters(
    market: Market,
) -> None:
    body = market.need(
        estimated_value="90000.00",
        method="noncompetitive",
        justification={"case": "single_source", "explanation": "Only one vendor."},
    )
    refused(market.lead.post("/api/v1/solicitations", json=body), 422, "justification.explanation")
    assert _pipeline(market)["total"] == 0


def test_a_noncompetitive_method_with_a_single_source_justification_is_accepted(
    market: Market,
) -> None:
    justification = {
        "case": "single_source",
        "explanation": "Only this provider offers the state-aligned Ed-Fi integration we must use.",
    }
    drafted = market.draft(
        estimated_value="90000.00", method="noncompetitive", justification=justification
    )
    assert drafted["method"] == "noncompetitive"
    assert drafted["required_method"] == "request_for_quotes"
    assert drafted["justification"] == justification


def test_a_consortiums_stricter_local_thresholds_change_the_required_method(market: Market) -> None:
    lead, consortium_id = market.lead, market.consortium.id
    federal = market.draft(estimated_value="300000.00")
    assert federal["required_method"] == "request_for_quotes"

    local = {
        "effective_from": "2026-11-01",
        "micro_purchase": "10000.00",
        "simplified_acquisition": "250000.00",
    }
    consortium = ok(lead.post(f"/api/v1/consortia/{consortium_id}/thresholds", json=local))
    assert Decimal(consortium["thresholds_today"]["simplified_acquisition"]) == 250000

    formal = market.draft(estimated_value="300000.00")
    assert formal["required_method"] == formal["method"] == "competitive_proposals"
    assert Decimal(formal["thresholds"]["simplified_acquisition"]) == 250000
    quotes = market.draft(_price_only(market.need(estimated_value="12000.00")))
    assert quotes["required_method"] == "request_for_quotes"
    in_force = ok(market.anonymous.get(f"/api/v1/thresholds?consortium_id={consortium_id}"))
    assert (Decimal(in_force["micro_purchase"]), Decimal(in_force["simplified_acquisition"])) == (
        10000,
        250000,
    )


def test_local_thresholds_looser_than_the_federal_ones_are_refused(market: Market) -> None:
    lead, consortium_id = market.lead, market.consortium.id
    before = ok(lead.get(f"/api/v1/consortia/{consortium_id}"))
    looser = {
        "effective_from": "2026-11-01",
        "micro_purchase": "20000.00",
        "simplified_acquisition": "400000.00",
    }
    response = lead.post(f"/api/v1/consortia/{consortium_id}/thresholds", json=looser)
    body = refused(response, 422)
    assert set(body["errors"]["json"]) == {"micro_purchase", "simplified_acquisition"}
    after = ok(lead.get(f"/api/v1/consortia/{consortium_id}"))
    assert after["version"] == before["version"] and after["local_thresholds"] == []
    assert Decimal(after["thresholds_today"]["micro_purchase"]) == 15000


def test_local_thresholds_in_fractions_of_a_cent_are_refused_naming_the_field(
    market: Market,
) -> None:
    lead, path = market.lead, f"/api/v1/consortia/{market.consortium.id}"
    before = ok(lead.get(path))
    fractional = {
        "effective_from": "2026-11-01",
        "micro_purchase": "5000.005",
        "simplified_acquisition": "100000.00",
    }
    body = refused(lead.post(f"{path}/thresholds", json=fractional), 422)
    assert set(body["errors"]["json"]) == {"micro_purchase"}
    after = ok(lead.get(path))
    assert after["version"] == before["version"] and after["local_thresholds"] == []


def test_a_consortium_formed_with_looser_local_thresholds_is_refused_naming_the_field(
    market: Market,
) -> None:
    buyer, district = market.outsider()
    looser = {
        "effective_from": "2026-11-01",
        "micro_purchase": "15000.01",
        "simplified_acquisition": "350000.00",
    }
    body = {"name": "Loose", "lead_district_id": district["id"], "local_thresholds": looser}
    response = buyer.post("/api/v1/consortia", json=body)
    refused(response, 422)
    assert error_fields(response) == {"local_thresholds.micro_purchase"}
    listed = ok(buyer.get("/api/v1/consortia", query_string={"district_id": district["id"]}))
    assert listed["items"] == []


def test_thresholds_asked_for_a_day_before_any_on_record_are_refused_naming_on(
    anonymous: Caller,
) -> None:
    body = refused(anonymous.get("/api/v1/thresholds?on=1900-01-01"), 422)
    assert set(body["errors"]) == {"query"} and set(body["errors"]["query"]) == {"on"}
    assert body["message"].startswith("on: ")


def test_only_the_leads_buyer_sets_local_thresholds(market: Market) -> None:
    member = market.consortium.buyers[1]
    stricter = {
        "effective_from": "2026-11-01",
        "micro_purchase": "10000.00",
        "simplified_acquisition": "250000.00",
    }
    path = f"/api/v1/consortia/{market.consortium.id}"
    before = ok(market.lead.get(path))
    refused(member.post(f"{path}/thresholds", json=stricter), 403)
    after = ok(market.lead.get(path))
    assert after["version"] == before["version"] and after["local_thresholds"] == []
    assert (
        ok(market.lead.post(f"{path}/thresholds", json=stricter))["version"]
        == before["version"] + 1
    )


def test_the_thresholds_in_force_are_reported_for_today_and_for_an_earlier_day(
    clock: Any, anonymous: Caller
) -> None:
    def values(query: str) -> tuple[Decimal, Decimal]:
        body = ok(anonymous.get(f"/api/v1/thresholds{query}"))
        return Decimal(body["micro_purchase"]), Decimal(body["simplified_acquisition"])

    assert values("") == (15000, 350000)
    assert values("?on=2025-10-01") == (15000, 350000)
    assert values("?on=2025-09-30") == (10000, 250000)


# Rule 2: published weighted criteria, price among them, locked at publication ----------------


def test_publishing_criteria_whose_weights_sum_to_90_is_refused_naming_criteria(
    market: Market,
) -> None:
    criteria = [dict(c) for c in CRITERIA]
    criteria[2]["weight"] = 15
    drafted = market.draft(criteria=criteria)
    response = market.lead.post(f"/api/v1/solicitations/{drafted['id']}/publish")
    body = refused(response, 422, "criteria")
    assert "90" in " ".join(body["errors"]["json"]["criteria"])
    after = market.get(drafted["id"])
    assert after["status"] == "draft" and after["version"] == drafted["version"]


def test_publishing_competitive_proposals_without_a_price_criterion_is_refused_naming_criteria(
    market: Market,
) -> None:
    criteria = [
        {"name": "Instructional approach", "weight": 60},
        {"name": "Rural implementation support", "weight": 40},
    ]
    drafted = market.draft(criteria=criteria)
    refused(market.lead.post(f"/api/v1/solicitations/{drafted['id']}/publish"), 422, "criteria")
    after = market.get(drafted["id"])
    assert after["status"] == "draft" and after["version"] == drafted["version"]


def test_publishing_weights_summing_to_100_with_price_opens_the_solicitation_on_the_board(
    market: Market,
) -> None:
    published = market.open()
    assert published["published_at"] is not None
    assert [c["name"] for c in published["criteria"]] == [c["name"] for c in CRITERIA]
    board = ok(market.anonymous.sees(market.lead).get("/api/v1/solicitations"))
    assert [item["id"] for item in board["items"]] == [published["id"]]


def test_a_published_solicitation_cannot_be_patched(market: Market) -> None:
    published = market.open()
    response = market.lead.patch(
        f"/api/v1/solicitations/{published['id']}", json={"title": "Changed"}
    )
    refused(response, 409)
    after = market.get(published["id"])
    assert after["version"] == published["version"] and after["title"] == published["title"]


def test_an_amendment_to_criteria_whose_weights_do_not_sum_to_100_is_refused_naming_criteria(
    market: Market,
) -> None:
    published = market.open()
    criteria = [dict(c) for c in CRITERIA]
    criteria[0]["weight"] = 45
    response = market.lead.post(
        f"/api/v1/solicitations/{published['id']}/amendments",
        json={"criteria": criteria, "rationale": "Price should weigh more."},
    )
    refused(response, 422, "criteria")
    after = market.get(published["id"])
    assert after["version"] == published["version"] and after["amendments"] == 0
    assert after["criteria"] == published["criteria"]


def test_a_valid_amendment_changes_the_criteria_and_the_timeline_records_its_rationale(
    market: Market,
) -> None:
    published = market.open()
    criteria = [
        {"name": "Price", "weight": 50, "is_price": True},
        {"name": "Instructional approach", "weight": 30},
        {"name": "Rural implementation support", "weight": 20},
    ]
    rationale = "Questions showed price matters more to the smallest districts."
    amended = ok(
        market.lead.post(
            f"/api/v1/solicitations/{published['id']}/amendments",
            json={"criteria": criteria, "rationale": rationale},
        )
    )
    assert amended["amendments"] == 1 and amended["version"] == published["version"] + 1
    assert [(c["name"], c["weight"]) for c in amended["criteria"]] == [
        (c["name"], c["weight"]) for c in criteria
    ]
    public = market.get(published["id"], market.anonymous.sees(market.lead))
    entry = public["timeline"][-1]
    assert (
        entry["type"] == "Amended"
        and entry["rationale"] == rationale
        and entry["fields"] == ["criteria"]
    )


def test_a_request_for_quotes_to_fewer_than_three_providers_cannot_be_published(
    market: Market,
) -> None:
    drafted = market.draft(market.quotes_need(invite=2))
    response = market.lead.post(f"/api/v1/solicitations/{drafted['id']}/publish")
    refused(response, 422, "invited_provider_ids")
    after = market.get(drafted["id"])
    assert after["status"] == "draft" and after["version"] == drafted["version"]


def test_a_request_for_quotes_to_three_providers_is_published(market: Market) -> None:
    published = market.open(market.quotes_need(invite=3))
    assert published["method"] == "request_for_quotes"
    assert sorted(published["invited_provider_ids"]) == sorted(
        b.provider_id for b in market.bidders
    )


def test_inviting_something_that_is_not_a_provider_is_refused_naming_the_invitation(
    market: Market,
) -> None:
    body = market.quotes_need(invite=2)
    body["invited_provider_ids"] = [
        market.consortium.districts[1]["id"],
        *body["invited_provider_ids"],
    ]
    response = market.lead.post("/api/v1/solicitations", json=body)
    refused(response, 422, "invited_provider_ids.0")
    assert _pipeline(market)["total"] == 0


def test_a_formal_solicitation_naming_invited_providers_is_refused_naming_them(
    market: Market,
) -> None:
    body = market.need(invited_provider_ids=[market.bidders[0].provider_id])
    response = market.lead.post("/api/v1/solicitations", json=body)
    envelope = refused(response, 422, "invited_provider_ids")
    assert error_fields(response) == {"invited_provider_ids"}
    assert "open to every provider" in envelope["message"]
    assert _pipeline(market)["total"] == 0


def test_inviting_providers_to_a_formal_draft_is_refused_and_changes_nothing(
    market: Market,
) -> None:
    drafted = market.draft()
    path = f"/api/v1/solicitations/{drafted['id']}"
    invited = [market.bidders[0].provider_id]
    response = market.lead.patch(path, json={"invited_provider_ids": invited})
    refused(response, 422, "invited_provider_ids")
    after = market.get(drafted["id"])
    assert after["version"] == drafted["version"] and after["invited_provider_ids"] == []


def test_a_request_for_quotes_raised_above_the_simplified_threshold_must_drop_its_invitations(
    market: Market,
) -> None:
    drafted = market.draft(market.quotes_need(method=None))
    path = f"/api/v1/solicitations/{drafted['id']}"
    raised = {"estimated_value": "480000.00", "criteria": [dict(c) for c in CRITERIA]}
    response = market.lead.patch(path, json=raised)
    refused(response, 422, "invited_provider_ids")
    after = market.get(drafted["id"])
    assert after["version"] == drafted["version"] and after["method"] == "request_for_quotes"

    revised = ok(market.lead.patch(path, json={**raised, "invited_provider_ids": []}))
    assert revised["method"] == "competitive_proposals" and revised["invited_provider_ids"] == []
    published = market.publish(drafted["id"])
    outsider = market.new_bidder("Uninvited Learning")
    proposal = market.propose(published["id"], outsider)
    assert proposal["status"] == "submitted"


# Rule 3: proposals are sealed until the deadline ----------------------------------------------


@pytest.fixture
def sealed(market: Market) -> tuple[dict[str, Any], list[dict[str, Any]], Caller]:
    """A published competitive solicitation with a named evaluator and two proposals (the
    evaluator cannot attest yet: that waits for the closing, when the offerors are known)."""
    solicitation = market.open()
    evaluator = market.evaluator(solicitation["id"], attest=False)
    proposals = [market.propose(solicitation["id"], bidder) for bidder in market.bidders[:2]]
    return solicitation, proposals, evaluator


def test_before_the_deadline_only_its_author_can_read_a_proposal(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    _, proposals, evaluator = sealed
    path = f"/api/v1/proposals/{proposals[0]['id']}"
    author = market.bidders[0].caller
    assert ok(author.get(path))["narrative"] == proposals[0]["narrative"]
    for caller in (
        market.lead,
        market.consortium.buyers[1],
        market.bidders[1].caller,
        evaluator,
        market.anonymous,
    ):
        refused(caller.get(path), 404)


def test_before_the_deadline_nobody_can_list_the_proposals_not_even_the_lead(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    solicitation, _, evaluator = sealed
    path = f"/api/v1/solicitations/{solicitation['id']}/proposals"
    refused(market.lead.get(path), 403)
    refused(evaluator.get(path), 403)
    refused(market.consortium.buyers[1].get(path), 403)


def test_before_the_deadline_neither_the_solicitation_nor_the_board_reveals_a_proposal_count(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    solicitation, _, _ = sealed
    for caller in (market.lead, market.anonymous):
        document = market.get(solicitation["id"], caller)
        assert document["opened_proposals"] is None
        assert document["version"] == solicitation["version"] + 1  # the evaluator's naming only
    board = ok(market.anonymous.sees(market.bidders[1].caller).get("/api/v1/solicitations"))
    (item,) = board["items"]
    assert item["id"] == solicitation["id"]
    assert [key for key in item if "proposal" in key] == ["proposals_due"]


def test_no_read_as_of_a_moment_tells_a_proposal_id_from_an_id_that_names_nothing(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    """A proposal's id derives from public ids (solicitation, provider): were a read of any
    record "as of" a moment to answer differently for it, anyone could tell who bid, and when."""
    _, proposals, _ = sealed
    unknown = str(uuid4())
    for route in ("solicitations", "contracts", "offerings", "outcome-reports"):
        for caller in (market.anonymous, market.lead, market.bidders[1].caller):
            for moment in ("2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00"):
                answers = []
                for target in (proposals[0]["id"], unknown):
                    response = caller.get(f"/api/v1/{route}/{target}", query_string={"as_of": moment})
                    body = response.get_json()
                    answers.append((response.status_code, body["message"].replace(target, "ID")))
                assert answers[0] == answers[1], (route, moment, answers)
                assert answers[0][0] == 404


def test_after_the_deadline_and_the_closing_the_lead_sees_the_opened_proposals(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    solicitation, proposals, _ = sealed
    closed = market.close(solicitation["id"])
    assert closed["opened_proposals"] == 2
    listed = ok(market.lead.get(f"/api/v1/solicitations/{solicitation['id']}/proposals"))
    assert sorted(p["id"] for p in listed["items"]) == sorted(p["id"] for p in proposals)
    assert (
        ok(market.lead.get(f"/api/v1/proposals/{proposals[1]['id']}"))["narrative"]
        == proposals[1]["narrative"]
    )


def test_listing_the_proposals_without_a_token_needs_authentication_even_after_the_deadline(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    solicitation, _, _ = sealed
    path = f"/api/v1/solicitations/{solicitation['id']}/proposals"
    refused(market.anonymous.get(path), 401)
    market.close(solicitation["id"])
    response = market.anonymous.get(path)
    refused(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_after_the_deadline_a_refusal_to_list_the_proposals_says_who_may_read_them(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    solicitation, _, _ = sealed
    path = f"/api/v1/solicitations/{solicitation['id']}/proposals"
    assert "sealed until the deadline" in refused(market.lead.get(path), 403)["message"]
    market.close(solicitation["id"])
    body = refused(market.consortium.buyers[1].get(path), 403)
    assert "sealed" not in body["message"]
    assert "after the deadline only the lead" in body["message"]


def test_after_the_deadline_a_named_evaluator_who_has_not_attested_cannot_see_the_proposals(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    solicitation, proposals, _ = sealed
    unattested = market.evaluator(solicitation["id"], attest=False)
    market.close(solicitation["id"])
    refused(unattested.get(f"/api/v1/solicitations/{solicitation['id']}/proposals"), 403)
    refused(unattested.get(f"/api/v1/proposals/{proposals[0]['id']}"), 404)


def test_after_the_deadline_a_named_evaluator_who_attested_sees_the_proposals(
    market: Market, sealed: tuple[dict[str, Any], list[dict[str, Any]], Caller]
) -> None:
    solicitation, proposals, _ = sealed
    evaluator = market.evaluator(solicitation["id"], attest=False)
    market.close(solicitation["id"])
    market.attest(evaluator, solicitation["id"])
    listed = ok(evaluator.get(f"/api/v1/solicitations/{solicitation['id']}/proposals"))
    assert sorted(p["id"] for p in listed["items"]) == sorted(p["id"] for p in proposals)
    assert ok(evaluator.get(f"/api/v1/proposals/{proposals[0]['id']}"))["id"] == proposals[0]["id"]


# Rule 4: nothing accepted, revised or withdrawn after the deadline ----------------------------


def test_a_provider_account_with_no_registered_provider_cannot_ask_a_question(
    market: Market, make_account: Any
) -> None:
    solicitation = market.open()
    unregistered = make_account("provider")
    before = market.get(solicitation["id"])

    path = f"/api/v1/solicitations/{solicitation['id']}/questions"
    response = unregistered.post(path, json={"text": "Is offline use required?"})

    assert "register your provider" in refused(response, 403)["message"]
    assert market.get(solicitation["id"]) == before


def test_a_question_cannot_be_answered_after_the_proposals_deadline(market: Market) -> None:
    solicitation = market.open()
    path = f"/api/v1/solicitations/{solicitation['id']}/questions"
    asked = ok(market.bidders[0].caller.post(path, json={"text": "Is offline use required?"}))
    question_id = asked["questions"][0]["id"]
    closed = market.close(solicitation["id"])

    answer = {"answer": "Yes, for two schools."}
    response = market.lead.post(f"{path}/{question_id}/answer", json=answer)
    assert "closed" in refused(response, 409)["message"]
    after = market.get(solicitation["id"])
    assert after["version"] == closed["version"]
    assert [q["answer"] for q in after["questions"]] == [None]


def test_a_proposal_submitted_after_the_deadline_is_refused_before_the_scheduler_has_run(
    market: Market,
) -> None:
    solicitation = market.open()
    market.pass_deadline(solicitation["id"])
    bidder = market.bidders[0]
    response = bidder.caller.post(
        f"/api/v1/solicitations/{solicitation['id']}/proposals", json=proposal_body(bidder)
    )
    refused(response, 409)
    assert (
        market.get(solicitation["id"])["status"] == "published"
    )  # not yet closed by the scheduler
    assert ok(bidder.caller.get("/api/v1/proposals"))["total"] == 0


def test_a_proposal_cannot_be_revised_after_the_deadline(market: Market) -> None:
    solicitation = market.open()
    proposal = market.propose(solicitation["id"], market.bidders[0])
    market.pass_deadline(solicitation["id"])
    author = market.bidders[0].caller
    refused(
        author.patch(f"/api/v1/proposals/{proposal['id']}", json={"narrative": "Too late."}), 409
    )
    after = ok(author.get(f"/api/v1/proposals/{proposal['id']}"))
    assert after["version"] == proposal["version"] and after["narrative"] == proposal["narrative"]


def test_a_proposal_cannot_be_withdrawn_after_the_deadline(market: Market) -> None:
    solicitation = market.open()
    proposal = market.propose(solicitation["id"], market.bidders[0])
    market.pass_deadline(solicitation["id"])
    author = market.bidders[0].caller
    refused(
        author.post(
            f"/api/v1/proposals/{proposal['id']}/withdraw", json={"reason": "Changed our mind."}
        ),
        409,
    )
    after = ok(author.get(f"/api/v1/proposals/{proposal['id']}"))
    assert after["status"] == "submitted" and after["version"] == proposal["version"]
    assert market.close(solicitation["id"])["opened_proposals"] == 1


def test_a_proposal_withdrawn_before_the_deadline_is_not_opened_at_closing(market: Market) -> None:
    solicitation = market.open()
    proposals = [market.propose(solicitation["id"], bidder) for bidder in market.bidders]
    author = market.bidders[1].caller
    withdrawn = ok(
        author.post(
            f"/api/v1/proposals/{proposals[1]['id']}/withdraw", json={"reason": "Capacity."}
        )
    )
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawal_reason"] == "Capacity."
    closed = market.close(solicitation["id"])
    assert closed["opened_proposals"] == 2
    listed = ok(market.lead.get(f"/api/v1/solicitations/{solicitation['id']}/proposals"))
    assert sorted(p["id"] for p in listed["items"]) == sorted(
        [proposals[0]["id"], proposals[2]["id"]]
    )


def test_a_provider_not_invited_to_a_request_for_quotes_cannot_quote(market: Market) -> None:
    solicitation = market.open(market.quotes_need(invite=3))
    outsider = market.new_bidder("Uninvited Learning")
    path = f"/api/v1/solicitations/{solicitation['id']}/proposals"
    refused(outsider.caller.post(path, json=proposal_body(outsider)), 403)
    assert ok(outsider.caller.get("/api/v1/proposals"))["total"] == 0
    invited = market.propose(solicitation["id"], market.bidders[0], "200.00", "150.00")
    assert invited["status"] == "submitted"


# Rule 5: attest no conflict of interest before scoring ----------------------------------------


@pytest.fixture
def closed(market: Market) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A closed competitive solicitation with two opened proposals (bidders 0 and 1)."""
    solicitation = market.open()
    proposals = [market.propose(solicitation["id"], bidder) for bidder in market.bidders[:2]]
    return market.close(solicitation["id"]), proposals


def test_an_evaluator_cannot_score_before_attesting(
    market: Market, closed: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    solicitation, proposals = closed
    evaluator = market.evaluator(solicitation["id"], attest=False)
    refused(market.score(evaluator, solicitation["id"], proposals[0]["id"], POINTS[0]), 403)
    attested = market.attest(evaluator, solicitation["id"])
    assert attested["scores"] == {} and attested["version"] == 1
    scored = ok(market.score(evaluator, solicitation["id"], proposals[0]["id"], POINTS[0]))
    assert scored["version"] == 2 and list(scored["scores"]) == [proposals[0]["id"]]


def test_an_evaluator_not_named_on_the_solicitation_cannot_attest(
    market: Market, closed: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    solicitation, proposals = closed
    sid = solicitation["id"]
    stranger = market.make_account("evaluator")
    response = stranger.post(
        f"/api/v1/solicitations/{sid}/evaluation/attestation",
        json={"statement": "I have no financial or personal interest in any offeror."},
    )
    refused(response, 403)
    refused(market.score(stranger, sid, proposals[0]["id"], POINTS[0]), 403)
    refused(stranger.get(f"/api/v1/solicitations/{sid}/proposals"), 403)
    # Once named, the same account attests for the first time: nothing was recorded before.
    me = ok(stranger.get("/api/v1/accounts/me"))
    ok(market.lead.post(f"/api/v1/solicitations/{sid}/evaluators", json={"account_id": me["id"]}))
    assert market.attest(stranger, sid)["version"] == 1


def _attest(evaluator: Caller, solicitation_id: str, statement: str) -> Any:
    return evaluator.post(
        f"/api/v1/solicitations/{solicitation_id}/evaluation/attestation",
        json={"statement": statement},
    )


def test_an_evaluator_cannot_attest_before_the_closing_and_nothing_is_recorded(
    market: Market,
) -> None:
    solicitation = market.open()
    sid = solicitation["id"]
    evaluator = market.evaluator(sid, attest=False)
    proposals = [market.propose(sid, bidder) for bidder in market.bidders[:2]]
    statement = "I have no financial or personal interest in any offeror."
    before = market.get(sid)["version"]

    body = refused(_attest(evaluator, sid, statement), 409)
    assert "published" in body["message"], body
    # Past the deadline the offerors are still unknown until the scheduler records the closing.
    market.pass_deadline(sid)
    body = refused(_attest(evaluator, sid, statement), 409)
    assert "published" in body["message"], body

    assert market.get(sid)["version"] == before
    market.close(sid)
    refused(evaluator.get(f"/api/v1/solicitations/{sid}/proposals"), 403)  # no attestation held
    refused(evaluator.get(f"/api/v1/proposals/{proposals[0]['id']}"), 404)
    assert market.attest(evaluator, sid)["version"] == 1


@pytest.mark.parametrize("statement", ["x", "No conflict.", "   none              "])
def test_an_attestation_too_short_to_state_anything_is_refused_naming_statement(
    market: Market, closed: tuple[dict[str, Any], list[dict[str, Any]]], statement: str
) -> None:
    solicitation, proposals = closed
    sid = solicitation["id"]
    evaluator = market.evaluator(sid, attest=False)

    refused(_attest(evaluator, sid, statement), 422, "statement")

    refused(evaluator.get(f"/api/v1/proposals/{proposals[0]['id']}"), 404)
    assert market.attest(evaluator, sid)["version"] == 1


def test_an_attestation_after_the_closing_records_the_offerors_it_was_made_against(
    market: Market, closed: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    solicitation, _ = closed
    evaluator = market.evaluator(solicitation["id"], attest=False)

    attested = market.attest(evaluator, solicitation["id"])

    assert attested["offerors"] == [
        {"provider_id": bidder.provider_id, "legal_name": f"Math Provider {n}"}
        for n, bidder in enumerate(market.bidders[:2])
    ]
    assert attested["statement"] == "I have no financial or personal interest in any offeror."


# Rule 6: scores only against the published criteria; the ranking is the weighted total -------


@pytest.mark.parametrize(
    ("points", "field"),
    [
        pytest.param(
            {
                "Price": "80",
                "Instructional approach": "80",
                "Rural implementation support": "80",
                "Color scheme": "99",
            },
            "scores",
            id="unknown-criterion",
        ),
        pytest.param(
            {"Price": "80", "Instructional approach": "80"}, "scores", id="criterion-left-out"
        ),
        pytest.param(
            {"Price": "101", "Instructional approach": "80", "Rural implementation support": "80"},
            "scores.0.points",
            id="points-101",
        ),
        pytest.param(
            {"Price": "NaN", "Instructional approach": "80", "Rural implementation support": "80"},
            "scores.0.points",
            id="points-NaN",
        ),
        pytest.param(
            {"Price": "-1", "Instructional approach": "80", "Rural implementation support": "80"},
            "scores.0.points",
            id="points-negative",
        ),
    ],
)
def test_a_score_off_the_published_criteria_or_outside_0_to_100_is_refused_naming_scores(
    market: Market,
    closed: tuple[dict[str, Any], list[dict[str, Any]]],
    points: dict[str, str],
    field: str,
) -> None:
    solicitation, proposals = closed
    evaluator = market.evaluator(solicitation["id"])
    refused(market.score(evaluator, solicitation["id"], proposals[0]["id"], points), 422, field)
    # Nothing was recorded: the next valid scoring is the evaluation's second event.
    scored = ok(market.score(evaluator, solicitation["id"], proposals[0]["id"], POINTS[0]))
    assert scored["version"] == 2


def test_the_ranking_is_the_weighted_total_of_the_published_criteria_averaged_over_evaluators(
    market: Market,
) -> None:
    solicitation = market.open()
    proposals = [market.propose(solicitation["id"], bidder) for bidder in market.bidders]
    market.close(solicitation["id"])
    by_evaluator = [
        [
            {"Price": "92.5", "Instructional approach": "71", "Rural implementation support": "64"},
            {"Price": "66", "Instructional approach": "95", "Rural implementation support": "88"},
            {"Price": "80", "Instructional approach": "80", "Rural implementation support": "80"},
        ],
        [
            {"Price": "88", "Instructional approach": "69.5", "Rural implementation support": "70"},
            {"Price": "61", "Instructional approach": "90", "Rural implementation support": "93"},
            {"Price": "79", "Instructional approach": "83", "Rural implementation support": "77"},
        ],
    ]
    for points in by_evaluator:
        evaluator = market.evaluator(solicitation["id"])
        for proposal, given in zip(proposals, points):
            ok(market.score(evaluator, solicitation["id"], proposal["id"], given))
    ranking = market.complete(solicitation["id"])["ranking"]

    expected = sorted(
        (
            (
                (
                    sum(weighted_total(points[n]) for points in by_evaluator) / len(by_evaluator)
                ).quantize(Decimal("0.01")),
                proposal["id"],
            )
            for n, proposal in enumerate(proposals)
        ),
        key=lambda pair: -pair[0],
    )
    assert [(Decimal(r["total"]), r["proposal_id"]) for r in ranking] == expected
    assert len({total for total, _ in expected}) == 3  # no tie: the order is the totals' alone


# Rule 7: fewer than two responsive proposals on a formal method --------------------------------


@pytest.mark.parametrize("how", ["other-declared-nonresponsive", "only-one-submitted"])
def test_an_award_with_a_single_responsive_proposal_needs_an_inadequate_competition_justification(
    market: Market, how: str
) -> None:
    solicitation = market.open()
    sid = solicitation["id"]
    submitters = market.bidders[:2] if how == "other-declared-nonresponsive" else market.bidders[:1]
    proposals = [market.propose(sid, bidder) for bidder in submitters]
    market.close(sid)
    if how == "other-declared-nonresponsive":
        declared = ok(
            market.lead.post(
                f"/api/v1/solicitations/{sid}/nonresponsive",
                json={
                    "proposal_id": proposals[1]["id"],
                    "reason": "No rural implementation plan was included.",
                },
            )
        )
        assert declared["nonresponsive"] == [
            {
                "proposal_id": proposals[1]["id"],
                "reason": "No rural implementation plan was included.",
            }
        ]
    evaluated = market.evaluate(sid, {proposals[0]["id"]: POINTS[0]})
    assert [r["proposal_id"] for r in evaluated["ranking"]] == [proposals[0]["id"]]
    body = market.award_body(proposals[0]["id"], [p["id"] for p in proposals])

    refused(market.award(sid, body), 422, "justification")
    after = market.get(sid)
    assert after["status"] == "evaluated" and after["contract_id"] is None
    assert after["version"] == evaluated["version"]

    justification = {
        "case": "inadequate_competition",
        "explanation": "Advertised for 21 days; only one responsive proposal came in.",
    }
    contract = ok(market.award(sid, {**body, "justification": justification}), 201)
    assert contract["award"]["justification"] == justification
    assert market.get(sid)["contract_id"] == contract["id"]


# Rule 8: above the simplified acquisition threshold, a cost or price analysis ------------------


def test_an_award_above_350000_without_a_cost_or_price_analysis_is_refused_naming_it(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    winner = evaluated["ranking"][0]["proposal_id"]
    body = market.award_body(winner, [p["id"] for p in proposals])
    del body["cost_price_analysis"]
    refused(market.award(evaluated["id"], body), 422, "cost_price_analysis")
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["version"] == evaluated["version"]

    analysis = "Compared three proposals against each other and against list prices."
    contract = ok(market.award(evaluated["id"], {**body, "cost_price_analysis": analysis}), 201)
    assert (
        Decimal(contract["total_value"]) > 350000
        and contract["award"]["cost_price_analysis"] == analysis
    )


# Rule 9: the award record ------------------------------------------------------------------------


def test_an_award_missing_the_reason_another_offeror_was_rejected_is_refused_naming_rejections(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    winner = evaluated["ranking"][0]["proposal_id"]
    body = market.award_body(winner, [p["id"] for p in proposals])
    body["rejections"] = body["rejections"][:1]
    response = market.award(evaluated["id"], body)
    refused(response, 422, "rejections")
    assert error_fields(response) == {"rejections"}
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["version"] == evaluated["version"]


def test_an_award_giving_one_proposal_two_rejection_reasons_is_refused_naming_rejections(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    winner = evaluated["ranking"][0]["proposal_id"]
    body = market.award_body(winner, [p["id"] for p in proposals])
    first = body["rejections"][0]
    body["rejections"].append({"proposal_id": first["proposal_id"], "reason": "Weak references."})
    response = market.award(evaluated["id"], body)
    refused(response, 422, "rejections")
    assert first["proposal_id"] in response.get_json()["message"]
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["contract_id"] is None
    assert after["version"] == evaluated["version"]


def test_an_award_to_a_proposal_that_is_not_the_top_ranked_is_refused_naming_proposal_id(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    second = evaluated["ranking"][1]["proposal_id"]
    refused(
        market.award(evaluated["id"], market.award_body(second, [p["id"] for p in proposals])),
        422,
        "proposal_id",
    )
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["contract_id"] is None
    assert after["version"] == evaluated["version"]


def _quotes_to_evaluation(
    market: Market, tier_prices: list[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A request for quotes (estimated 200,000) to the three bidders, 1,200 pooled seats,
    quoted at ``tier_prices`` for 1,000 seats or more; closed and ranked by price."""
    solicitation = market.open(market.quotes_need(estimated_value="200000.00"))
    proposals = [
        market.propose(solicitation["id"], bidder, "400.00", tier)
        for bidder, tier in zip(market.bidders, tier_prices)
    ]
    market.close(solicitation["id"])
    return market.complete(solicitation["id"]), proposals


def test_a_request_for_quotes_whose_winning_price_makes_the_value_formal_cannot_be_awarded(
    market: Market,
) -> None:
    evaluated, proposals = _quotes_to_evaluation(market, ["300.00", "310.00", "320.00"])
    assert evaluated["ranking"][0]["proposal_id"] == proposals[0]["id"]  # 300.00 x 1,200 = 360,000
    body = market.award_body(proposals[0]["id"], [p["id"] for p in proposals])
    response = market.award(evaluated["id"], body)
    refused(response, 422, "proposal_id")
    assert "competitive_proposals" in " ".join(response.get_json()["errors"]["json"]["proposal_id"])
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["version"] == evaluated["version"]


def test_a_request_for_quotes_within_the_threshold_is_awarded_to_the_lowest_price(
    market: Market,
) -> None:
    evaluated, proposals = _quotes_to_evaluation(market, ["160.00", "150.00", "170.00"])
    assert [r["proposal_id"] for r in evaluated["ranking"]] == [
        proposals[n]["id"] for n in (1, 0, 2)
    ]
    body = market.award_body(
        proposals[1]["id"], [p["id"] for p in proposals], cost_price_analysis=None
    )
    contract = ok(market.award(evaluated["id"], body), 201)
    assert contract["award"]["method"] == "request_for_quotes"
    assert Decimal(contract["unit_price"]) == Decimal("150.00")
    assert Decimal(contract["total_value"]) == Decimal("180000.00")
    assert len(contract["award"]["rejections"]) == 2


# Correcting an award ---------------------------------------------------------------------------


def test_an_award_cancelled_before_signature_reverts_to_evaluated_and_can_be_made_again(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    first = market.award_top(evaluated, proposals)
    sid = evaluated["id"]
    reverted = ok(
        market.lead.post(
            f"/api/v1/solicitations/{sid}/award/cancel",
            json={"reason": "Wrong term dates recorded."},
        )
    )
    assert reverted["status"] == "evaluated" and reverted["contract_id"] is None
    assert reverted["timeline"][-1]["type"] == "AwardCancelled"
    cancelled = market.contract(first["id"], market.anonymous.sees(market.lead))
    assert (
        cancelled["status"] == "cancelled"
        and cancelled["end_reason"] == "Wrong term dates recorded."
    )

    second = market.award_top(evaluated, proposals)
    assert second["id"] != first["id"] and second["status"] == "awaiting_signature"
    assert market.get(sid)["contract_id"] == second["id"]
    assert market.contract(first["id"])["status"] == "cancelled"


def test_a_winner_that_will_not_sign_is_set_aside_and_the_next_ranked_is_awarded(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    first = market.award_top(evaluated, proposals)
    winner, runner_up = (r["proposal_id"] for r in evaluated["ranking"][:2])
    reverted = ok(
        market.lead.post(
            f"/api/v1/solicitations/{evaluated['id']}/award/cancel",
            json={"reason": "The winner declined to sign.", "set_aside_winner": True},
        )
    )
    assert reverted["status"] == "evaluated"

    again = market.award(evaluated["id"], market.award_body(winner, [p["id"] for p in proposals]))
    assert runner_up in str(refused(again, 422, "proposal_id")["errors"])
    body = market.award_body(runner_up, [p["id"] for p in proposals])
    second = ok(market.award(evaluated["id"], body), 201)
    assert second["provider_id"] != first["provider_id"]
    assert market.get(evaluated["id"])["contract_id"] == second["id"]


def test_an_award_not_yet_signed_is_cancelled_not_terminated(market: Market) -> None:
    evaluated, proposals = market.run_to_evaluation()
    awarded = market.award_top(evaluated, proposals)

    response = market.lead.post(
        f"/api/v1/contracts/{awarded['id']}/terminate", json={"reason": "Wrong term dates."}
    )
    assert "award/cancel" in refused(response, 409)["message"]
    contract = market.contract(awarded["id"], market.anonymous.sees(market.lead))
    assert contract["status"] == "awaiting_signature" and contract["version"] == awarded["version"]

    reverted = ok(
        market.lead.post(
            f"/api/v1/solicitations/{evaluated['id']}/award/cancel",
            json={"reason": "Wrong term dates."},
        )
    )
    assert reverted["status"] == "evaluated"


def test_an_award_cannot_be_cancelled_once_the_provider_has_signed(market: Market) -> None:
    evaluated, proposals = market.run_to_evaluation()
    signed = market.sign(market.award_top(evaluated, proposals))
    before = market.get(evaluated["id"])
    response = market.lead.post(
        f"/api/v1/solicitations/{evaluated['id']}/award/cancel", json={"reason": "Second thoughts."}
    )
    refused(response, 409)
    after = market.get(evaluated["id"])
    assert after["status"] == "awarded" and after["version"] == before["version"]
    assert after["contract_id"] == signed["id"]
    contract = market.contract(signed["id"], market.anonymous.sees(market.lead))
    assert contract["status"] == "active" and contract["version"] == signed["version"]


# The demand's districts are still members at the award ------------------------------------------


def test_an_award_binding_a_district_that_left_the_consortium_is_refused_until_it_rejoins(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    departed = market.consortium.districts[2]["id"]
    left = market.leave(2)
    assert departed not in [m["id"] for m in left["members"]]
    body = market.award_body(evaluated["ranking"][0]["proposal_id"], [p["id"] for p in proposals])

    response = market.award(evaluated["id"], body)
    error = refused(response, 422, "lines")
    assert departed in error["message"] and departed in " ".join(error["errors"]["json"]["lines"])
    assert "rejoined" in error["message"] and "cancel this solicitation" in error["message"]
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["contract_id"] is None
    assert after["version"] == evaluated["version"]
    assert ok(market.lead.get(f"/api/v1/contracts?district_id={departed}"))["total"] == 0

    market.rejoin(2)
    contract = ok(market.award(evaluated["id"], body), 201)
    assert sorted(a["district_id"] for a in contract["allocations"]) == sorted(
        market.consortium.district_ids()
    )


# Cost shares -----------------------------------------------------------------------------------


def test_pooled_seats_reach_the_volume_tier_and_the_cost_shares_add_up_to_the_contract_value(
    market: Market,
) -> None:
    prices = [("349.99", "333.33"), ("400.00", "390.00"), ("400.00", "395.00")]
    evaluated, proposals = market.run_to_evaluation(prices=prices)
    contract = market.award_top(evaluated, proposals)
    assert contract["proposal_id"] == proposals[0]["id"]

    tier, listed = Decimal("333.33"), Decimal("349.99")
    assert (
        Decimal(contract["unit_price"]) == tier and Decimal(contract["list_unit_price"]) == listed
    )
    allocations = contract["allocations"]
    assert sorted(a["district_id"] for a in allocations) == sorted(market.consortium.district_ids())
    for allocation in allocations:
        assert allocation["seats"] == 400
        assert Decimal(allocation["amount"]) == tier * 400 == Decimal("133332.00")
    assert (
        sum(Decimal(a["amount"]) for a in allocations)
        == Decimal(contract["total_value"])
        == Decimal("399996.00")
    )
    assert Decimal(contract["saving_against_list"]) == (listed - tier) * 1200 == Decimal("19992.00")


# Joining an existing contract ------------------------------------------------------------------


def _active_contract(
    market: Market, joining_policy: str
) -> tuple[dict[str, Any], Caller, dict[str, Any]]:
    """A signed contract among the first three members; a fourth member, added before the
    award, is party to nothing: (contract, that member's buyer, its district)."""
    body = market.need(joining_policy=joining_policy, demand_from=3)
    buyer, district = market.add_member()
    evaluated, proposals = market.run_to_evaluation(body)
    contract = market.sign(market.award_top(evaluated, proposals))
    assert district["id"] not in [a["district_id"] for a in contract["allocations"]]
    return contract, buyer, district


def _join(
    buyer: Caller, contract: dict[str, Any], district_id: str, offering_id: str | None = None
) -> Any:
    return buyer.post(
        f"/api/v1/contracts/{contract['id']}/join",
        json={
            "district_id": district_id,
            "seats": 50,
            "offering_id": offering_id or contract["offering_ids"][0],
        },
    )


def _unchanged(market: Market, contract: dict[str, Any]) -> None:
    after = market.contract(contract["id"])
    assert (
        after["version"] == contract["version"] and after["allocations"] == contract["allocations"]
    )


def test_no_district_joins_a_contract_whose_solicitation_allowed_none(market: Market) -> None:
    contract, buyer, district = _active_contract(market, "none")
    refused(_join(buyer, contract, district["id"]), 403)
    _unchanged(market, contract)


def test_a_district_outside_the_consortium_cannot_join_a_members_only_contract(
    market: Market,
) -> None:
    contract, _, _ = _active_contract(market, "consortium_members")
    outsider, district = market.outsider()
    refused(_join(outsider, contract, district["id"]), 403)
    _unchanged(market, contract)


def test_a_member_district_not_yet_party_joins_a_members_only_contract(market: Market) -> None:
    contract, buyer, district = _active_contract(market, "consortium_members")
    joined = ok(_join(buyer, contract, district["id"]))
    unit_price = Decimal(contract["unit_price"])
    share = next(a for a in joined["allocations"] if a["district_id"] == district["id"])
    assert share["seats"] == 50 and Decimal(share["amount"]) == unit_price * 50
    assert Decimal(joined["total_value"]) == Decimal(contract["total_value"]) + unit_price * 50
    assert sum(Decimal(a["amount"]) for a in joined["allocations"]) == Decimal(
        joined["total_value"]
    )
    history = ok(market.anonymous.sees(buyer).get(f"/api/v1/contracts/{contract['id']}/history"))
    assert [e["type"] for e in history["items"]] == ["Awarded", "Signed", "DistrictJoined"]


def test_joining_with_an_offering_outside_the_contracts_scope_is_refused_naming_offering_id(
    market: Market,
) -> None:
    contract, buyer, district = _active_contract(market, "consortium_members")
    other = next(
        b.offering_id for b in market.bidders if b.offering_id not in contract["offering_ids"]
    )
    refused(_join(buyer, contract, district["id"], other), 422, "offering_id")
    _unchanged(market, contract)


def test_a_district_cannot_join_a_contract_it_is_already_party_to(market: Market) -> None:
    contract, buyer, district = _active_contract(market, "consortium_members")
    joined = ok(_join(buyer, contract, district["id"]))
    refused(_join(buyer, contract, district["id"]), 409)
    refused(_join(market.consortium.buyers[1], contract, market.consortium.districts[1]["id"]), 409)
    _unchanged(market, joined)


def test_a_member_that_left_the_consortium_after_the_award_cannot_join_a_members_only_contract(
    market: Market,
) -> None:
    contract, buyer, district = _active_contract(market, "consortium_members")
    market.leave(3)
    body = refused(_join(buyer, contract, district["id"]), 403)
    assert "has left the consortium since the award" in body["message"]
    newcomer, new_district = market.add_member()  # a member now, not at the award
    body = refused(_join(newcomer, contract, new_district["id"]), 403)
    assert "members of the consortium when this contract was awarded" in body["message"]
    _unchanged(market, contract)

    market.rejoin(3)
    ok(_join(buyer, contract, district["id"]))


def test_removing_a_district_that_does_not_exist_from_a_consortium_is_not_found(
    market: Market,
) -> None:
    consortium = market.consortium
    before = ok(market.anonymous.get(f"/api/v1/consortia/{consortium.id}"))
    unknown = "6f1c1a52-0000-4000-8000-000000000000"

    body = refused(market.lead.delete(f"/api/v1/consortia/{consortium.id}/members/{unknown}"), 404)

    assert body["message"] == f"district {unknown} not found"
    assert ok(market.anonymous.get(f"/api/v1/consortia/{consortium.id}")) == before


def test_between_the_deadline_and_its_closing_the_proposals_list_says_so_then_pages(
    market: Market,
) -> None:
    solicitation = market.open()
    for bidder in market.bidders:
        market.propose(solicitation["id"], bidder)
    url = f"/api/v1/solicitations/{solicitation['id']}/proposals"
    market.pass_deadline(solicitation["id"])

    body = refused(market.lead.get(url), 409)
    assert "opened when its closing is recorded" in body["message"]

    market.close(solicitation["id"])
    first = ok(market.lead.get(url, query_string={"per_page": 2}))
    second = ok(market.lead.get(url, query_string={"per_page": 2, "page": 2}))
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (3, 1, 2, 2)
    assert (second["total"], second["page"], len(second["items"])) == (3, 2, 1)
    listed = [p["id"] for p in first["items"] + second["items"]]
    assert sorted(listed) == sorted(p["id"] for p in ok(market.lead.get(url))["items"])
    assert len(set(listed)) == 3


def test_every_write_to_a_record_honours_if_match_and_a_stale_one_records_nothing(
    market: Market,
) -> None:
    """Not only the writes that always took a version: signing, renewing, terminating a contract,
    revising and withdrawing a proposal, cancelling a solicitation."""
    solicitation = market.open()
    bidder = market.bidders[0]
    proposal = market.propose(solicitation["id"], bidder)
    fetched = bidder.caller.get(f"/api/v1/proposals/{proposal['id']}")
    assert fetched.headers["ETag"] == f'"{proposal["version"]}"'
    body = proposal_body(bidder, "399.00", None)
    stale = {"If-Match": f'"{proposal["version"] + 1}"'}
    at = f"/api/v1/proposals/{proposal['id']}"
    refused(bidder.caller.patch(at, json=body, headers=stale), 412)
    revised = bidder.caller.patch(at, json=body, headers={"If-Match": fetched.headers["ETag"]})
    assert ok(revised)["version"] == proposal["version"] + 1
    assert revised.headers["ETag"] == f'"{proposal["version"] + 1}"'

    cancel = f"/api/v1/solicitations/{solicitation['id']}/cancel"
    reason = {"reason": "The need was met by a state contract."}
    refused(market.lead.post(cancel, json=reason, headers={"If-Match": '"1"'}), 412)
    assert market.get(solicitation["id"])["status"] == "published"

    contract, _, _ = _active_contract(market, "none")
    url = f"/api/v1/contracts/{contract['id']}"
    old = {"If-Match": f'"{contract["version"] - 1}"'}
    renewal = {"term_end": "2029-06-30", "rationale": "Another year."}
    refused(market.lead.post(f"{url}/renewals", json=renewal, headers=old), 412)
    refused(market.lead.post(f"{url}/terminate", json={"reason": "Ended."}, headers=old), 412)
    _unchanged(market, contract)
    renewed = ok(
        market.lead.post(
            f"{url}/renewals", json=renewal, headers={"If-Match": f'"{contract["version"]}"'}
        )
    )
    assert renewed["term_end"] == "2029-06-30"


def test_a_contract_shows_the_analysis_an_amendment_recorded_beside_the_awards(
    market: Market,
) -> None:
    contract, _, _ = _active_contract(market, "none")
    awarded = contract["award"]["cost_price_analysis"]
    assert contract["cost_price_analysis"] == awarded

    analysis = "Re-priced against the state contract's rates before districts join past 350,000."
    amendment = {"rationale": "Analysis before joining.", "cost_price_analysis": analysis}
    amended = ok(market.lead.post(f"/api/v1/contracts/{contract['id']}/amendments", json=amendment))

    assert amended["cost_price_analysis"] == analysis
    assert amended["award"]["cost_price_analysis"] == awarded  # the award record stays as made
    assert market.contract(contract["id"])["cost_price_analysis"] == analysis


def test_a_buyer_cannot_join_another_district_to_a_contract(market: Market) -> None:
    contract, _, district = _active_contract(market, "consortium_members")
    outsider, _ = market.outsider()
    refused(_join(outsider, contract, district["id"]), 403)
    _unchanged(market, contract)


# Direct purchase -------------------------------------------------------------------------------


@pytest.fixture
def catalog_offering(market: Market) -> dict[str, Any]:
    """A published offering at a list price of 50.00 per student per year."""
    caller, _ = market.make_provider(name="Small Tools Co")
    return publish_offering(caller, "Fraction Practice", list_price="50.00", tier_price=None)


def _direct_purchase(
    market: Market,
    offering: dict[str, Any],
    seats: int,
    note: str | None = None,
    term: tuple[str, str] | None = None,
) -> Any:
    today = market.clock.moment.date()
    term_start, term_end = term or (
        today.isoformat(),
        today.replace(year=today.year + 1).isoformat(),
    )
    return market.lead.post(
        "/api/v1/direct-purchases",
        json={
            "offering_id": offering["id"],
            "demand": [{"district_id": market.consortium.districts[0]["id"], "seats": seats}],
            "price_reasonableness": note
            or "List price matches two comparable tools we priced this year.",
            "term_start": term_start,
            "term_end": term_end,
        },
    )


def _district_contracts(market: Market) -> int:
    district_id = market.consortium.districts[0]["id"]
    return ok(market.lead.get(f"/api/v1/contracts?district_id={district_id}"))["total"]


@pytest.mark.parametrize(
    ("term", "field"),
    [
        (("0001-01-01", "0001-01-02"), "term_start"),
        (("2032-01-01", "2033-01-01"), "term_start"),  # over five years after 2026-11-02
        (("2026-12-01", "2036-12-02"), "term_end"),  # over ten years long
    ],
)
def test_a_direct_purchase_term_out_of_bounds_is_refused_naming_it_and_nothing_is_recorded(
    market: Market, catalog_offering: dict[str, Any], term: tuple[str, str], field: str
) -> None:
    response = _direct_purchase(market, catalog_offering, 10, term=term)
    refused(response, 422)
    assert error_fields(response) == {field}
    assert _district_contracts(market) == 0


def test_an_award_with_a_term_starting_in_year_one_is_refused_naming_term_start(
    market: Market,
) -> None:
    evaluated, proposals = market.run_to_evaluation()
    winner = evaluated["ranking"][0]["proposal_id"]
    body = market.award_body(
        winner, [p["id"] for p in proposals], term_start="0001-01-01", term_end="0001-01-02"
    )
    response = market.award(evaluated["id"], body)
    refused(response, 422)
    assert error_fields(response) == {"term_start"}
    after = market.get(evaluated["id"])
    assert after["status"] == "evaluated" and after["contract_id"] is None
    assert after["version"] == evaluated["version"]


def test_a_direct_purchase_at_the_micro_purchase_threshold_is_recorded_at_list_price(
    market: Market, catalog_offering: dict[str, Any]
) -> None:
    contract = ok(_direct_purchase(market, catalog_offering, 300), 201)  # 300 x 50.00 = 15,000.00
    assert contract["award"]["method"] == "direct_purchase"
    assert (
        "list price" in contract["award"]["price_basis"]
        and "50.00" in contract["award"]["price_basis"]
    )
    assert Decimal(contract["total_value"]) == Decimal("15000.00")
    assert contract["solicitation_id"] is None and contract["offering_ids"] == [
        catalog_offering["id"]
    ]
    assert _district_contracts(market) == 1


def test_a_direct_purchase_of_another_providers_draft_is_not_found_as_an_unknown_id_is(
    market: Market,
) -> None:
    caller, _ = market.make_provider(name="Unfinished Tools Co")
    draft = ok(caller.post("/api/v1/offerings", json=complete_offering()), 201)
    unknown = {"id": "6f1c1a52-0000-4000-8000-000000000000"}

    for offering in (draft, unknown):
        body = refused(_direct_purchase(market, offering, 10), 404)
        assert body["message"] == f"offering {offering['id']} not found"
    assert _district_contracts(market) == 0


def test_a_direct_purchase_above_the_micro_purchase_threshold_is_refused_naming_demand(
    market: Market, catalog_offering: dict[str, Any]
) -> None:
    refused(_direct_purchase(market, catalog_offering, 301), 422, "demand")  # 15,050.00
    assert _district_contracts(market) == 0


@pytest.mark.parametrize("seats", [0, MAX_SEATS + 1])
def test_a_direct_purchase_of_seats_outside_1_to_the_bound_is_refused_naming_them(
    market: Market, catalog_offering: dict[str, Any], seats: int
) -> None:
    refused(_direct_purchase(market, catalog_offering, seats), 422, "demand.0.seats")
    assert _district_contracts(market) == 0


def test_a_direct_purchase_with_a_thin_price_reasonableness_note_is_refused_naming_it(
    market: Market, catalog_offering: dict[str, Any]
) -> None:
    refused(
        _direct_purchase(market, catalog_offering, 10, note="Looks fine."),
        422,
        "price_reasonableness",
    )
    assert _district_contracts(market) == 0



# A contract's value after the award (rules 1 and 8) ---------------------------------------------


def _amend(
    caller: Caller, contract: dict[str, Any], unit_price: str, analysis: str | None = None
) -> Any:
    body = {"unit_price": unit_price, "rationale": "Renegotiated for the coming school year."}
    if analysis is not None:
        body["cost_price_analysis"] = analysis
    return caller.post(f"/api/v1/contracts/{contract['id']}/amendments", json=body)


def test_a_signed_direct_purchase_cannot_be_repriced_past_the_micro_purchase_threshold(
    market: Market,
) -> None:
    seller, _ = market.make_provider(name="Small Tools Co")
    offering = publish_offering(seller, "Fraction Practice", list_price="50.00", tier_price=None)
    bought = ok(_direct_purchase(market, offering, 300), 201)  # 300 x 50.00 = 15,000.00
    contract = ok(
        seller.post(f"/api/v1/contracts/{bought['id']}/sign", json={"signatory": "Dana Reyes, CEO"})
    )

    repriced = _amend(market.lead, contract, "5000.00", "Compared with the catalog.")
    body = refused(repriced, 422, "unit_price")
    assert "direct_purchase" in body["message"] and "15000" in body["message"]
    refused(_amend(market.lead, contract, "50.01"), 422, "unit_price")  # 15,003.00
    _unchanged(market, contract)
    assert Decimal(market.contract(contract["id"])["total_value"]) == Decimal("15000.00")

    lowered = ok(_amend(market.lead, contract, "40.00"))
    assert Decimal(lowered["total_value"]) == Decimal("12000.00")


def test_a_raise_above_the_simplified_acquisition_threshold_needs_a_cost_or_price_analysis(
    market: Market,
) -> None:
    contract, _, _ = _active_contract(market, "consortium_members")
    seats = sum(a["seats"] for a in contract["allocations"])
    # A raise that leaves the value above 350,000 (it is already, or it gets there).
    floor = max(Decimal(contract["total_value"]), Decimal(350000))
    above = (floor / seats + 1).quantize(Decimal("0.01"))
    assert above * seats > floor

    refused(_amend(market.lead, contract, str(above)), 422, "unit_price", "cost_price_analysis")
    _unchanged(market, contract)

    analysis = "Compared with the state contract's 2026 price list and two quotes."
    raised = ok(_amend(market.lead, contract, str(above), analysis))
    assert Decimal(raised["total_value"]) == above * seats
    assert raised["award"]["cost_price_analysis"] == contract["award"]["cost_price_analysis"]
    reader = market.anonymous.sees(market.lead)
    history = ok(reader.get(f"/api/v1/contracts/{contract['id']}/history"))
    amended = [e for e in history["items"] if e["type"] == "Amended"]
    assert len(amended) == 1 and amended[0]["changes"]["changes"]["cost_price_analysis"] == analysis


# Roles -----------------------------------------------------------------------------------------


def test_a_provider_cannot_draft_a_solicitation(market: Market) -> None:
    provider = market.bidders[0].caller
    refused(provider.post("/api/v1/solicitations", json=market.need()), 403)
    assert _pipeline(market)["total"] == 0


def test_a_member_districts_buyer_cannot_publish_the_leads_draft_which_it_cannot_even_see(
    market: Market,
) -> None:
    # Drafts are visible to the lead's buyers only, so to a member's buyer the draft is unknown
    # (404, "unknown or invisible"), exactly as a GET of it answers; it is never published.
    drafted = market.draft()
    member = market.consortium.buyers[1]
    refused(member.get(f"/api/v1/solicitations/{drafted['id']}"), 404)
    refused(member.post(f"/api/v1/solicitations/{drafted['id']}/publish"), 404)
    after = market.get(drafted["id"])
    assert after["status"] == "draft" and after["version"] == drafted["version"]


def test_a_member_districts_buyer_cannot_amend_a_published_solicitation(market: Market) -> None:
    published = market.open()
    member = market.consortium.buyers[1]
    response = member.post(
        f"/api/v1/solicitations/{published['id']}/amendments",
        json={"description": "Changed by a member.", "rationale": "We would like it otherwise."},
    )
    refused(response, 403)
    after = market.get(published["id"])
    assert after["version"] == published["version"] and after["amendments"] == 0


def test_a_draft_solicitation_is_invisible_to_anonymous_callers_but_visible_to_the_lead(
    market: Market,
) -> None:
    drafted = market.draft()
    refused(market.anonymous.get(f"/api/v1/solicitations/{drafted['id']}"), 404)
    assert market.get(drafted["id"])["status"] == "draft"


# Idempotency -----------------------------------------------------------------------------------


def test_retrying_a_proposal_with_the_same_idempotency_key_returns_the_same_proposal(
    market: Market,
) -> None:
    solicitation = market.open()
    bidder = market.bidders[0]
    path = f"/api/v1/solicitations/{solicitation['id']}/proposals"
    headers = {"Idempotency-Key": "proposal-7f3a"}
    first = bidder.caller.post(path, json=proposal_body(bidder), headers=headers)
    retry = bidder.caller.post(path, json=proposal_body(bidder), headers=headers)
    assert ok(first, 201)["id"] == ok(retry, 201)["id"]
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert ok(retry, 201)["version"] == 1
    mine = ok(bidder.caller.get("/api/v1/proposals"))
    assert mine["total"] == 1 and [p["id"] for p in mine["items"]] == [first.get_json()["id"]]
    assert UUID(mine["items"][0]["solicitation_id"]) == UUID(solicitation["id"])
