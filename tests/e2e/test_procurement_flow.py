"""Through HTTP: three small rural districts pool their demand and buy together, from need to a
signed contract; later a fourth district joins that contract without a new solicitation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Caller, complete_offering

DISTRICTS = [
    ("3000001", "Big Timber Public Schools", 43, 420, 398),
    ("3000002", "Harlowton Public Schools", 43, 260, 241),
    ("3000003", "White Sulphur Springs Schools", 42, 310, 290),
]


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def consortium(clock: Any, make_account: Any) -> dict[str, Any]:
    """Three rural districts, each registered by its own buyer, in one consortium."""
    buyers, districts = [], []
    for nces_id, name, locale, enrollment, ada in DISTRICTS:
        buyer = make_account("buyer")
        district = _ok(
            buyer.post(
                "/api/v1/districts",
                json={
                    "nces_id": nces_id,
                    "name": name,
                    "state": "MT",
                    "locale_code": locale,
                    "enrollment": enrollment,
                    "average_daily_attendance": ada,
                },
            ),
            201,
        )
        assert district["rural"] and district["small"]
        buyers.append(buyer)
        districts.append(district)
    lead = buyers[0]
    formed = _ok(
        lead.post(
            "/api/v1/consortia",
            json={"name": "Crazy Mountains Cooperative", "lead_district_id": districts[0]["id"]},
        ),
        201,
    )
    for buyer, district in zip(buyers[1:], districts[1:]):
        _ok(buyer.post(f"/api/v1/consortia/{formed['id']}/members", json={"district_id": district["id"]}))
    return {"id": formed["id"], "lead": lead, "buyers": buyers, "districts": districts}


@pytest.fixture
def bidders(make_provider: Any) -> list[tuple[Caller, dict[str, Any]]]:
    """Three providers, each with a published middle-school math offering."""
    out = []
    for n in range(3):
        caller, _ = make_provider(name=f"Math Provider {n}")
        offering = _ok(
            caller.post(
                "/api/v1/offerings",
                json=complete_offering(
                    title=f"Math Pathways {n}",
                    pricing={
                        "unit": "per_student_per_year",
                        "list_price": "400.00",
                        "volume_tiers": [{"min_quantity": 1000, "unit_price": "380.00"}],
                    },
                ),
            ),
            201,
        )
        _ok(caller.post(f"/api/v1/offerings/{offering['id']}/publish"))
        out.append((caller, offering))
    return out


def test_a_rural_consortium_goes_from_need_to_signed_contract_and_a_district_joins_later(
    clock: Any,
    consortium: dict[str, Any],
    bidders: list[tuple[Caller, dict[str, Any]]],
    make_account: Any,
    anonymous: Caller,
    app: Any,
) -> None:
    lead: Caller = consortium["lead"]
    now = clock.moment
    need = {
        "consortium_id": consortium["id"],
        "title": "Personalized middle-school math, grades 6-8",
        "description": "A blended, mastery-based math model for three small rural districts.",
        "lines": [
            {
                "description": "Grades 6-8 math seats",
                "category": "math",
                "demand": [{"district_id": d["id"], "seats": 400} for d in consortium["districts"]],
            }
        ],
        "estimated_value": "480000.00",
        "criteria": [
            {"name": "Price", "weight": 40, "is_price": True},
            {"name": "Instructional approach", "weight": 35},
            {"name": "Rural implementation support", "weight": 25},
        ],
        "questions_due": (now + timedelta(days=7)).isoformat(),
        "proposals_due": (now + timedelta(days=21)).isoformat(),
        "joining_policy": "any_district",
    }

    # Need -> a formal solicitation: 480,000 is above the 350,000 simplified acquisition threshold.
    drafted = _ok(lead.post("/api/v1/solicitations", json=need), 201)
    assert drafted["required_method"] == drafted["method"] == "competitive_proposals"
    assert drafted["thresholds"]["simplified_acquisition"] == "350000.00"  # money in whole cents
    solicitation_id = drafted["id"]
    published = _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/publish"))
    assert published["status"] == "published"
    board = anonymous.sees(lead).get("/api/v1/solicitations").get_json()
    assert solicitation_id in [item["id"] for item in board["items"]]

    evaluator = make_account("evaluator")
    me = _ok(evaluator.get("/api/v1/accounts/me"))
    _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/evaluators", json={"account_id": me["id"]}))

    # A question and its published answer.
    first_bidder = bidders[0][0]
    asked = _ok(first_bidder.post(f"/api/v1/solicitations/{solicitation_id}/questions", json={"text": "Is offline use required?"}))
    question_id = asked["questions"][0]["id"]
    _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/questions/{question_id}/answer", json={"answer": "Yes, for two schools."}))

    # Sealed proposals: the author sees its own; the lead sees neither contents nor count.
    proposals = []
    for n, (caller, offering) in enumerate(bidders):
        proposal = _ok(
            caller.post(
                f"/api/v1/solicitations/{solicitation_id}/proposals",
                json={
                    "offering_ids": [offering["id"]],
                    "pricing": {
                        "unit": "per_student_per_year",
                        "list_price": f"{390 - 10 * n}.00",
                        "volume_tiers": [{"min_quantity": 1000, "unit_price": f"{360 - 10 * n}.00"}],
                    },
                    "narrative": f"Our approach number {n}.",
                },
            ),
            201,
        )
        assert _ok(caller.get(f"/api/v1/proposals/{proposal['id']}"))["narrative"] == f"Our approach number {n}."
        proposals.append(proposal)
    assert lead.get(f"/api/v1/proposals/{proposals[0]['id']}").status_code == 404
    assert lead.get(f"/api/v1/solicitations/{solicitation_id}/proposals").status_code == 403
    assert _ok(lead.get(f"/api/v1/solicitations/{solicitation_id}"))["opened_proposals"] is None

    # The deadline passes: nothing more is accepted, and the scheduler records the closing.
    clock.advance(days=22)
    late = first_bidder.patch(f"/api/v1/proposals/{proposals[0]['id']}", json={"narrative": "Too late."})
    assert late.status_code == 409
    tick = app.test_cli_runner().invoke(args=["procurement", "tick"])
    assert "closed 1 solicitation" in tick.output, tick.output
    closed = _ok(lead.get(f"/api/v1/solicitations/{solicitation_id}"))
    assert closed["status"] == "closed" and closed["opened_proposals"] == 3
    assert "Closed" in [entry["type"] for entry in closed["timeline"]]

    # Evaluation: attest first, then score every published criterion.
    unattested = evaluator.post(
        f"/api/v1/solicitations/{solicitation_id}/evaluation/scores",
        json={"proposal_id": proposals[0]["id"], "scores": []},
    )
    assert unattested.status_code == 403
    _ok(evaluator.post(f"/api/v1/solicitations/{solicitation_id}/evaluation/attestation", json={"statement": "No conflict of interest."}), 201)
    for n, proposal in enumerate(proposals):
        _ok(
            evaluator.post(
                f"/api/v1/solicitations/{solicitation_id}/evaluation/scores",
                json={
                    "proposal_id": proposal["id"],
                    "scores": [
                        {"criterion": "Price", "points": str(70 + 10 * n)},
                        {"criterion": "Instructional approach", "points": str(90 - 5 * n)},
                        {"criterion": "Rural implementation support", "points": "80"},
                    ],
                },
            )
        )
    evaluated = _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/evaluation/complete"))
    evaluated_at = clock.moment
    ranking = evaluated["ranking"]
    expected = sorted(
        (
            (Decimal(40 * (70 + 10 * n) + 35 * (90 - 5 * n) + 25 * 80) / 100, p["id"])
            for n, p in enumerate(proposals)
        ),
        reverse=True,
    )
    assert [(Decimal(r["total"]), r["proposal_id"]) for r in ranking] == expected
    winner_id = ranking[0]["proposal_id"]
    winner_index = next(n for n, p in enumerate(proposals) if p["id"] == winner_id)

    # Award: the record auditors ask for; priced at the tier the pooled 1,200 seats reach.
    award = {
        "proposal_id": winner_id,
        "contract_type": "fixed_unit_price",
        "method_rationale": "Estimated value above the simplified acquisition threshold: competitive proposals.",
        "selection_reason": "Highest weighted total against the published criteria.",
        "rejections": [
            {"proposal_id": p["id"], "reason": "Lower weighted total."} for p in proposals if p["id"] != winner_id
        ],
        "price_basis": "Competitive proposals; volume tier reached by pooled demand.",
        "cost_price_analysis": "Compared three proposals against each other and against list prices.",
        "term_start": (now + timedelta(days=60)).date().isoformat(),
        "term_end": (now + timedelta(days=60 + 364)).date().isoformat(),
    }
    contract = _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/award", json=award), 201)
    tier_price = Decimal(360 - 10 * winner_index)
    assert Decimal(contract["unit_price"]) == tier_price
    assert Decimal(contract["total_value"]) == tier_price * 1200
    assert sum(Decimal(a["amount"]) for a in contract["allocations"]) == Decimal(contract["total_value"])
    assert Decimal(contract["saving_against_list"]) == (Decimal(390 - 10 * winner_index) - tier_price) * 1200
    assert contract["award"]["cost_price_analysis"] and len(contract["award"]["rejections"]) == 2

    winner_caller = bidders[winner_index][0]
    signed = _ok(winner_caller.post(f"/api/v1/contracts/{contract['id']}/sign", json={"signatory": "Dana Reyes, CEO"}))
    assert signed["status"] == "active"

    # Later: a fourth district, not a member, joins the active contract (the solicitation allowed any).
    before_joining = clock.moment
    clock.advance(days=90)
    newcomer = make_account("buyer")
    district = _ok(
        newcomer.post(
            "/api/v1/districts",
            json={"nces_id": "3000004", "name": "Melville Public Schools", "state": "MT", "locale_code": 43, "enrollment": 90, "average_daily_attendance": 84},
        ),
        201,
    )
    joined = _ok(
        newcomer.post(
            f"/api/v1/contracts/{contract['id']}/join",
            json={"district_id": district["id"], "seats": 50, "offering_id": contract["offering_ids"][0]},
        )
    )
    assert Decimal(joined["total_value"]) == tier_price * 1250
    register = newcomer.get(f"/api/v1/contracts?district_id={district['id']}").get_json()
    assert [c["id"] for c in register["items"]] == [contract["id"]]
    history = anonymous.sees(newcomer).get(f"/api/v1/contracts/{contract['id']}/history").get_json()
    assert [e["type"] for e in history["items"]] == ["Awarded", "Signed", "DistrictJoined"]

    # Auditors read the record as it stood at any moment.
    as_of = {"as_of": before_joining.isoformat()}
    earlier = _ok(anonymous.get(f"/api/v1/contracts/{contract['id']}", query_string=as_of))
    assert Decimal(earlier["total_value"]) == tier_price * 1200 and len(earlier["allocations"]) == 3
    evaluated_then = _ok(
        lead.get(f"/api/v1/solicitations/{solicitation_id}", query_string={"as_of": evaluated_at.isoformat()})
    )
    assert evaluated_then["status"] == "evaluated" and evaluated_then["contract_id"] is None
    assert evaluated_then["timeline"][-1]["type"] == "Evaluated"
    before_it_existed = anonymous.get(
        f"/api/v1/solicitations/{solicitation_id}",
        query_string={"as_of": (now - timedelta(days=1)).isoformat()},
    )
    assert before_it_existed.status_code == 404
