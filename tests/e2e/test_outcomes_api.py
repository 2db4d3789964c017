"""Through HTTP: districts party to a signed contract report outcomes per school year, correct
them by revision, and anyone reads the annual report cards built from those reports."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.conftest import Caller, complete_offering

TERM = {"term_start": "2025-07-01", "term_end": "2027-06-30"}  # school years 2025-26 and 2026-27
YEAR = "2026-27"  # the test clock starts on 2026-11-02
DISTRICTS = [
    ("3000201", "Big Timber Public Schools", 43, 420, 398),
    ("3000202", "Harlowton Public Schools", 43, 260, 241),
    ("3000203", "Bozeman Public Schools", 13, 7000, 6200),
]
NOTE = "Catalog list price matches two comparable offerings' published prices."


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _refused(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert body["status"] == status and body["message"]
    if field is not None:
        named = {name for location in body.get("errors", {}).values() for name in location}
        assert field in named, body
    return body


def _district(buyer: Caller, nces_id: str, name: str, locale: int, enrollment: int, ada: int) -> dict[str, Any]:
    body = {
        "nces_id": nces_id,
        "name": name,
        "state": "MT",
        "locale_code": locale,
        "enrollment": enrollment,
        "average_daily_attendance": ada,
    }
    return _ok(buyer.post("/api/v1/districts", json=body), 201)


@pytest.fixture
def market(clock: Any, make_account: Any, make_provider: Any) -> dict[str, Any]:
    """Three districts in one consortium; a provider's offering (evidence tier 2) bought directly
    for all three. ``sign()`` has the provider sign the contract."""
    buyers, districts = [], []
    for row in DISTRICTS:
        buyer = make_account("buyer")
        districts.append(_district(buyer, *row))
        buyers.append(buyer)
    lead = buyers[0]
    consortium = _ok(
        lead.post("/api/v1/consortia", json={"name": "Crazy Mountains Cooperative", "lead_district_id": districts[0]["id"]}),
        201,
    )
    for buyer, district in zip(buyers[1:], districts[1:]):
        _ok(buyer.post(f"/api/v1/consortia/{consortium['id']}/members", json={"district_id": district["id"]}))
    provider, provider_id = make_provider()
    offering = _ok(provider.post("/api/v1/offerings", json=complete_offering()), 201)
    _ok(provider.post(f"/api/v1/offerings/{offering['id']}/publish"))
    contract = _ok(
        lead.post(
            "/api/v1/direct-purchases",
            json={
                "offering_id": offering["id"],
                "consortium_id": consortium["id"],
                "demand": [{"district_id": d["id"], "seats": 20} for d in districts],
                "price_reasonableness": NOTE,
                **TERM,
            },
        ),
        201,
    )

    def sign() -> None:
        _ok(provider.post(f"/api/v1/contracts/{contract['id']}/sign", json={"signatory": "Dana Reyes, CEO"}))

    return {
        "buyers": buyers,
        "districts": districts,
        "provider": provider,
        "provider_id": provider_id,
        "offering": offering,
        "contract": contract,
        "sign": sign,
    }


@pytest.fixture
def signed(market: dict[str, Any]) -> dict[str, Any]:
    market["sign"]()
    return market


def report_body(district: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "district_id": district["id"],
        "school_year": YEAR,
        "students_served": 18,
        "usage": {"average_minutes_per_week": 75, "sessions": 60},
        "results": [
            {
                "measure": "Students proficient on the state math test (%)",
                "baseline": "31",
                "result": 38.5,
                "method": "State assessment, spring to spring, grades 6-8",
            }
        ],
        "satisfaction": 4,
        "renewing": True,
    }
    body.update(overrides)
    return body


def post_report(market: dict[str, Any], n: int, **overrides: Any) -> Any:
    buyer = market["buyers"][n]
    return buyer.post(
        f"/api/v1/contracts/{market['contract']['id']}/outcome-reports",
        json=report_body(market["districts"][n], **overrides),
    )


def head(app: Any) -> int:
    with app.app_context():
        return app.extensions["marketplace"].get().runner.head()


# Reporting --------------------------------------------------------------------------------------


def test_a_party_districts_buyer_reports_a_school_year_and_anyone_reads_it(
    signed: dict[str, Any], anonymous: Caller
) -> None:
    response = post_report(signed, 0)
    created = _ok(response, 201)

    assert response.headers["ETag"] == '"1"' and response.headers["Log-Position"]
    assert created["school_year"] == YEAR and created["contract_id"] == signed["contract"]["id"]
    assert created["offering_ids"] == [signed["offering"]["id"]]
    assert (created["seats"], created["students_served"], created["rural"], created["small"]) == (20, 18, True, True)
    assert created["results"][0] == {
        "measure": "Students proficient on the state math test (%)",
        "baseline": "31",
        "result": "38.5",
        "method": "State assessment, spring to spring, grades 6-8",
    }
    assert created["usage"] == {"average_minutes_per_week": 75, "sessions": 60, "notes": None}
    assert created["revisions"] == []
    assert _ok(anonymous.get(f"/api/v1/outcome-reports/{created['id']}")) == created


@pytest.mark.parametrize("who", ["outsider", "provider", "evaluator", "anonymous", "other_party"])
def test_only_a_party_districts_own_buyer_reports_and_a_refusal_records_nothing(
    signed: dict[str, Any], make_account: Any, anonymous: Caller, app: Any, who: str
) -> None:
    if who == "outsider":
        caller = make_account("buyer")
        district = _district(caller, "3000299", "Melville Public Schools", 43, 90, 84)
        status = 403
    else:
        caller = {
            "provider": signed["provider"],
            "evaluator": make_account("evaluator"),
            "anonymous": anonymous,
            "other_party": signed["buyers"][1],
        }[who]
        district = signed["districts"][0]
        status = 401 if who == "anonymous" else 403
    before = head(app)

    response = caller.post(
        f"/api/v1/contracts/{signed['contract']['id']}/outcome-reports", json=report_body(district)
    )

    _refused(response, status)
    assert head(app) == before


def test_a_contract_awaiting_signature_cannot_be_reported_on(market: dict[str, Any], app: Any) -> None:
    before = head(app)

    _refused(post_report(market, 0), 409)
    assert head(app) == before


def test_a_contract_terminated_before_it_was_signed_cannot_be_reported_on(
    market: dict[str, Any], app: Any
) -> None:
    contract_id = market["contract"]["id"]
    terminate = {"reason": "The board withdrew it."}
    _ok(market["buyers"][0].post(f"/api/v1/contracts/{contract_id}/terminate", json=terminate))
    before = head(app)

    body = _refused(post_report(market, 0), 409)
    assert "terminated before it was signed" in body["message"]
    assert head(app) == before


def record_state_agreement(market: dict[str, Any]) -> dict[str, Any]:
    """The provider's national DPA for Montana, signed 2025-03-01, until 2028-02-29."""
    agreement = {
        "scope": "state", "kind": "national_dpa", "state": "MT", "signed_on": "2025-03-01",
        "expires_on": "2028-02-29", "document_url": "https://example.org/dpa.pdf",
    }
    agreements = f"/api/v1/providers/{market['provider_id']}/privacy-agreements"
    return _ok(market["provider"].post(agreements, json=agreement), 201)


def test_a_contract_as_of_a_moment_shows_its_privacy_coverage_as_it_stood_then(
    signed: dict[str, Any], clock: Any, anonymous: Caller
) -> None:
    url = f"/api/v1/contracts/{signed['contract']['id']}"
    before = clock.moment.isoformat()
    clock.advance(days=1)
    record_state_agreement(signed)

    after = clock.moment.isoformat()

    then = _ok(anonymous.get(url, query_string={"as_of": before}))["privacy"]
    now = _ok(anonymous.get(url))["privacy"]
    since = _ok(anonymous.get(url, query_string={"as_of": after}))["privacy"]
    last = _ok(anonymous.get(url, query_string={"as_of": "9999-12-31T23:00:00-05:00"}))["privacy"]

    assert [(p["covered"], p["flagged"]) for p in then] == [(False, True)] * 3
    assert [(p["covered"], p["flagged"]) for p in now] == [(True, False)] * 3
    assert since == now
    assert [p["covered"] for p in last] == [False] * 3  # the agreement expires 2028-02-29


def test_the_register_shows_the_contracts_version_after_student_data_access_is_granted(
    signed: dict[str, Any], anonymous: Caller
) -> None:
    contract_id, district = signed["contract"]["id"], signed["districts"][1]
    record_state_agreement(signed)
    grant = f"/api/v1/contracts/{contract_id}/student-data-access"
    granted = _ok(signed["buyers"][1].post(grant, json={"district_id": district["id"]}))

    reader = anonymous.sees(signed["buyers"][1])  # at its Log-Position
    register = _ok(reader.get("/api/v1/contracts", query_string={"district_id": district["id"]}))
    listed = [(c["id"], c["version"]) for c in register["items"]]
    assert listed == [(contract_id, granted["version"])]


def test_no_student_data_access_is_granted_once_the_term_has_ended(
    signed: dict[str, Any], clock: Any, app: Any
) -> None:
    contract_id = signed["contract"]["id"]
    record_state_agreement(signed)
    clock.advance(days=(date(2027, 7, 1) - clock.moment.date()).days)  # the term ended 2027-06-30
    before = head(app)

    response = signed["buyers"][1].post(
        f"/api/v1/contracts/{contract_id}/student-data-access",
        json={"district_id": signed["districts"][1]["id"]},
    )

    assert "term ended on 2027-06-30" in _refused(response, 409)["message"]
    assert head(app) == before


def test_an_unknown_contract_is_not_found(signed: dict[str, Any]) -> None:
    response = signed["buyers"][0].post(
        "/api/v1/contracts/6f1c1a52-0000-4000-8000-000000000000/outcome-reports",
        json=report_body(signed["districts"][0]),
    )

    _refused(response, 404)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"school_year": "2026-28"}, "school_year"),
        ({"school_year": "2026"}, "school_year"),
        ({"school_year": "2024-25"}, "school_year"),  # before the contract's term
        ({"students_served": -1}, "students_served"),
        ({"students_served": 12.5}, "students_served"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"renewing": None}, "renewing"),
        ({"results": [{"measure": "Reading", "result": "1", "method": "  "}]}, "results.0.method"),
        ({"results": [{"measure": "Reading", "result": "1"}]}, "results"),
        ({"usage": {"average_minutes_per_week": 20000}}, "usage.average_minutes_per_week"),
        ({"usage": {"sessions": 1_000_000_001}}, "usage.sessions"),
        ({"usage": {"sessions": 10**25}}, "usage.sessions"),  # JSON allows it; no district could
        ({"school_year": "9999-00"}, "school_year"),
        ({"results": [{"measure": "Reading", "result": "1e999999", "method": "State test"}]},
         "results.0.result"),
        ({"results": [{"measure": "Reading", "result": "38.12345", "method": "State test"}]},
         "results.0.result"),
    ],
)
def test_a_report_that_breaks_a_rule_is_refused_naming_the_field_and_records_nothing(
    signed: dict[str, Any], app: Any, overrides: dict[str, Any], field: str
) -> None:
    before = head(app)

    body = _refused(post_report(signed, 0, **overrides), 422)

    named = {name for location in body["errors"].values() for name in location}
    assert any(name == field or name.startswith(f"{field}.") for name in named), body
    assert head(app) == before


# One report a year; corrections are revisions ----------------------------------------------------


def test_a_second_report_for_the_year_is_refused_and_a_revision_corrects_the_first(
    signed: dict[str, Any], anonymous: Caller
) -> None:
    buyer = signed["buyers"][0]
    created = _ok(post_report(signed, 0), 201)

    duplicate = _refused(post_report(signed, 0, students_served=17), 409, "school_year")
    assert created["id"] in duplicate["message"]

    path = f"/api/v1/outcome-reports/{created['id']}"
    _refused(buyer.patch(path, json={"students_served": 17, "reason": "Recount."}, headers={"If-Match": '"7"'}), 412)
    revised = _ok(
        buyer.patch(path, json={"students_served": 17, "satisfaction": None, "reason": "Recounted rosters."}, headers={"If-Match": '"1"'})
    )
    assert (revised["students_served"], revised["satisfaction"], revised["version"]) == (17, None, 2)
    assert [(r["version"], r["reason"], r["fields"]) for r in revised["revisions"]] == [
        (2, "Recounted rosters.", ["satisfaction", "students_served"])
    ]
    as_first = _ok(anonymous.get(path, query_string={"as_of": created["reported_at"]}))
    assert (as_first["students_served"], as_first["version"], as_first["revisions"]) == (18, 1, [])
    _refused(signed["buyers"][1].patch(path, json={"students_served": 1, "reason": "Not ours."}), 403)
    _refused(buyer.patch(path, json={"students_served": 17, "reason": "Again."}), 422, "changes")
    _refused(buyer.patch(path, json={"school_year": "2025-26", "reason": "Wrong year."}), 422, "school_year")


# Report cards -----------------------------------------------------------------------------------


def test_report_cards_show_the_reports_with_their_n_flag_a_small_sample_and_separate_years(
    signed: dict[str, Any], anonymous: Caller
) -> None:
    reports = [
        _ok(post_report(signed, 0, students_served=18, renewing=True), 201),
        _ok(post_report(signed, 2, students_served=20, renewing=False, satisfaction=None, results=[]), 201),
        _ok(post_report(signed, 1, school_year="2025-26", students_served=15, satisfaction=5), 201),
    ]
    reader = anonymous
    for buyer in signed["buyers"]:
        reader.sees(buyer)

    page = _ok(reader.get("/api/v1/report-cards", query_string={"year": YEAR}))

    assert (page["total"], page["page"], page["per_page"]) == (1, 1, 20)
    (card,) = page["items"]
    this_year = [r for r in reports if r["school_year"] == YEAR]
    assert card["offering"]["id"] == signed["offering"]["id"] and card["school_year"] == YEAR
    assert card["n"] == len(this_year) and card["small_sample"] is True
    assert card["students_served"]["total"] == sum(r["students_served"] for r in this_year)
    assert card["renewals"]["renewing"] == sum(r["renewing"] for r in this_year)
    rural = sum(r["rural"] for r in this_year)
    assert card["rural_share"]["reporting"] == {"n": len(this_year), "rural": rural, "ratio": round(rural / len(this_year), 4)}
    assert card["districts_served"]["n"] == 3
    evidence = signed["offering"]["evidence"]
    assert card["claimed_evidence"] == {**evidence, "study_title": evidence.get("study_title")}
    earlier = _ok(reader.get("/api/v1/report-cards", query_string={"year": "2025-26"}))["items"]
    assert [(c["school_year"], c["n"], c["satisfaction"]["distribution"]["5"]) for c in earlier] == [("2025-26", 1, 1)]
    every = _ok(reader.get("/api/v1/report-cards", query_string={"per_page": 1, "page": 2}))
    assert every["total"] == 2 and [c["school_year"] for c in every["items"]] == ["2025-26"]

    offering_card = _ok(reader.get(f"/api/v1/offerings/{signed['offering']['id']}/report-card"))
    assert offering_card["school_year"] == YEAR and offering_card["years_reported"] == [YEAR, "2025-26"]
    assert {k: v for k, v in offering_card.items() if k != "years_reported"} == card


def test_an_offering_without_reports_has_a_card_saying_n_0(signed: dict[str, Any], anonymous: Caller) -> None:
    reader = anonymous.sees(signed["provider"])

    card = _ok(reader.get(f"/api/v1/offerings/{signed['offering']['id']}/report-card", query_string={"year": YEAR}))

    assert (card["n"], card["small_sample"], card["reports"]) == (0, True, [])
    assert card["claimed_evidence"]["tier"] == signed["offering"]["evidence"]["tier"]


def test_report_card_queries_refuse_a_malformed_year_and_an_unknown_offering(
    signed: dict[str, Any], anonymous: Caller
) -> None:
    _refused(anonymous.get("/api/v1/report-cards", query_string={"year": "2026-2027"}), 422, "year")
    _refused(anonymous.get("/api/v1/report-cards", query_string={"per_page": 1000}), 422, "per_page")
    offering = signed["offering"]["id"]
    _refused(anonymous.get(f"/api/v1/offerings/{offering}/report-card", query_string={"year": "26-27"}), 422, "year")
    last = {"year": "9999-00"}  # would end in the year 10000
    _refused(anonymous.get(f"/api/v1/offerings/{offering}/report-card", query_string=last), 422, "year")
    _refused(anonymous.get("/api/v1/offerings/6f1c1a52-0000-4000-8000-000000000000/report-card"), 404)


def test_the_openapi_document_describes_outcome_reports_and_report_cards(anonymous: Caller) -> None:
    paths = _ok(anonymous.get("/api/openapi.json"))["paths"]

    assert "post" in paths["/api/v1/contracts/{contract_id}/outcome-reports"]
    assert {"get", "patch"} <= set(paths["/api/v1/outcome-reports/{report_id}"])
    assert "get" in paths["/api/v1/report-cards"]
    assert "get" in paths["/api/v1/offerings/{offering_id}/report-card"]
