"""Through HTTP and the CLI: the award register as CSV and as a spreadsheet, filtered; the CLI
twin writes the same rows; the demo data exports one row per award and member allocation."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from marketplace import exports
from tests.conftest import Caller, complete_offering

CSV_PATH = "/api/v1/awards/export.csv"
XLSX_PATH = "/api/v1/awards/export.xlsx"


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _district(buyer: Caller, nces_id: str, name: str, state: str = "MT") -> dict[str, Any]:
    body = {
        "nces_id": nces_id,
        "name": name,
        "state": state,
        "locale_code": 43,
        "enrollment": 420,
        "average_daily_attendance": 398,
    }
    return _ok(buyer.post("/api/v1/districts", json=body), 201)


def _pricing(list_price: str, tier_price: str) -> dict[str, Any]:
    return {
        "unit": "per_student_per_year",
        "list_price": list_price,
        "volume_tiers": [{"min_quantity": 1000, "unit_price": tier_price}],
    }


@pytest.fixture
def market(clock: Any, make_account: Any, make_provider: Any, anonymous: Caller, app: Any) -> dict[str, Any]:
    """A Montana consortium of three awards a formal (competitive proposals) contract through
    HTTP, the provider signs, and a fourth district joins later; elsewhere a New Mexico district
    buys directly from the catalog."""
    buyers = [make_account("buyer") for _ in range(3)]
    districts = [
        _district(b, f"30001{n}0", name)
        for n, (b, name) in enumerate(
            zip(buyers, ["Big Timber Public Schools", "Harlowton Public Schools", "White Sulphur Springs Schools"])
        )
    ]
    lead = buyers[0]
    consortium = _ok(
        lead.post("/api/v1/consortia", json={"name": "Crazy Mountains Cooperative", "lead_district_id": districts[0]["id"]}),
        201,
    )
    for buyer, district in zip(buyers[1:], districts[1:]):
        _ok(buyer.post(f"/api/v1/consortia/{consortium['id']}/members", json={"district_id": district["id"]}))

    bidders = []
    for n in range(3):
        caller, provider_id = make_provider(name=f"Math Provider {n}")
        offering = _ok(
            caller.post("/api/v1/offerings", json=complete_offering(title=f"Math Pathways {n}", pricing=_pricing("400.00", "380.00"))),
            201,
        )
        _ok(caller.post(f"/api/v1/offerings/{offering['id']}/publish"))
        bidders.append({"caller": caller, "provider_id": provider_id, "offering": offering})

    now = clock.moment
    need = {
        "consortium_id": consortium["id"],
        "title": "Personalized middle-school math, grades 6-8",
        "description": "A blended, mastery-based math model for three small rural districts.",
        "lines": [
            {
                "description": "Grades 6-8 math seats",
                "category": "math",
                "demand": [{"district_id": d["id"], "seats": 400} for d in districts],
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
    solicitation_id = _ok(lead.post("/api/v1/solicitations", json=need), 201)["id"]
    _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/publish"))
    evaluator = make_account("evaluator")
    me = _ok(evaluator.get("/api/v1/accounts/me"))
    _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/evaluators", json={"account_id": me["id"]}))
    proposals = []
    for n, bidder in enumerate(bidders):
        body = {
            "offering_ids": [bidder["offering"]["id"]],
            "pricing": _pricing(f"{390 - 10 * n}.00", f"{360 - 10 * n}.00"),
            "narrative": f"Our approach number {n}.",
        }
        proposals.append(_ok(bidder["caller"].post(f"/api/v1/solicitations/{solicitation_id}/proposals", json=body), 201))
    clock.advance(days=22)
    tick = app.test_cli_runner().invoke(args=["procurement", "tick"])
    assert tick.exit_code == 0, tick.output
    _ok(evaluator.post(f"/api/v1/solicitations/{solicitation_id}/evaluation/attestation", json={"statement": "No conflict of interest."}), 201)
    for n, proposal in enumerate(proposals):
        scores = [
            {"criterion": "Price", "points": str(90 - 10 * n)},
            {"criterion": "Instructional approach", "points": str(90 - 5 * n)},
            {"criterion": "Rural implementation support", "points": "80"},
        ]
        _ok(evaluator.post(f"/api/v1/solicitations/{solicitation_id}/evaluation/scores", json={"proposal_id": proposal["id"], "scores": scores}))
    ranking = _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/evaluation/complete"))["ranking"]
    winner_id = ranking[0]["proposal_id"]
    assert winner_id == proposals[0]["id"]
    award = {
        "proposal_id": winner_id,
        "contract_type": "fixed_unit_price",
        "method_rationale": "Estimated value above the simplified acquisition threshold: competitive proposals.",
        "selection_reason": "Highest weighted total against the published criteria.",
        "rejections": [{"proposal_id": p["id"], "reason": "Lower weighted total."} for p in proposals[1:]],
        "price_basis": "Competitive proposals; volume tier reached by pooled demand.",
        "cost_price_analysis": "Compared three proposals against each other and against list prices.",
        "term_start": (now + timedelta(days=60)).date().isoformat(),
        "term_end": (now + timedelta(days=60 + 364)).date().isoformat(),
    }
    contract = _ok(lead.post(f"/api/v1/solicitations/{solicitation_id}/award", json=award), 201)
    _ok(bidders[0]["caller"].post(f"/api/v1/contracts/{contract['id']}/sign", json={"signatory": "Dana Reyes, CEO"}))

    clock.advance(days=90)
    newcomer = make_account("buyer")
    joiner = _district(newcomer, "3000400", "Melville Public Schools")
    _ok(
        newcomer.post(
            f"/api/v1/contracts/{contract['id']}/join",
            json={"district_id": joiner["id"], "seats": 50, "offering_id": contract["offering_ids"][0]},
        )
    )

    clock.advance(days=30)
    solo_buyer = make_account("buyer")
    solo = _district(solo_buyer, "3500410", "Mora Independent Schools", "NM")
    today = clock.moment.date()
    direct = _ok(
        solo_buyer.post(
            "/api/v1/direct-purchases",
            json={
                "offering_id": bidders[1]["offering"]["id"],
                "demand": [{"district_id": solo["id"], "seats": 30}],
                "price_reasonableness": "Three catalog listings compared; this list price is the lowest.",
                "contract_type": "firm_fixed_price",
                "term_start": today.isoformat(),
                "term_end": (today + timedelta(days=180)).isoformat(),
            },
        ),
        201,
    )
    reader = anonymous.sees(lead).sees(newcomer).sees(solo_buyer)
    return {
        "consortium": consortium,
        "districts": [*districts, joiner],
        "joiner": joiner,
        "solo": solo,
        "bidders": bidders,
        "contract": _ok(reader.get(f"/api/v1/contracts/{contract['id']}")),
        "direct": _ok(reader.get(f"/api/v1/contracts/{direct['id']}")),
        "reader": reader,
    }


def _csv(caller: Caller, **query: Any) -> list[dict[str, str]]:
    response = caller.get(CSV_PATH, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _cell(value: Any, header: str) -> str:
    """A spreadsheet cell written as the CSV would write it."""
    if value is None:
        return ""
    kind = next(c.kind for c in exports.COLUMNS if c.header == header)
    if kind == exports.MONEY:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if kind == exports.DATE and isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> list[dict[str, str]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    headers = rows[0]
    assert headers == exports.HEADERS
    return [{h: _cell(v, h) for h, v in zip(headers, row)} for row in rows[1:]]


def _money(amount: str) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


# CSV ---------------------------------------------------------------------------------------------


def test_the_csv_export_has_one_row_per_award_and_member_allocation_with_the_record(market: dict[str, Any]) -> None:
    reader: Caller = market["reader"]
    response = reader.get(CSV_PATH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="award-register.csv"'
    parsed = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    rows = list(parsed)
    assert tuple(parsed.fieldnames or ()) == exports.HEADERS

    contract, direct = market["contract"], market["direct"]
    assert len(rows) == len(contract["allocations"]) + len(direct["allocations"]) == 5
    formal = [r for r in rows if r["Contract ID"] == contract["id"]]
    assert rows[: len(formal)] == formal  # awarded first, listed first
    names = {d["id"]: d["name"] for d in market["districts"]}
    amounts = {a["district_id"]: a for a in contract["allocations"]}
    assert {r["District ID"] for r in formal} == set(amounts) == set(names)
    for row in formal:
        allocation = amounts[row["District ID"]]
        assert row["District"] == names[row["District ID"]] and row["State"] == "MT"
        assert row["Seats"] == str(allocation["seats"])
        assert row["Cost share"] == _money(allocation["amount"])
        assert row["Contract value"] == _money(contract["total_value"]) == "450000.00"
        assert row["Unit price"] == _money(contract["unit_price"]) == "360.00"
        assert row["List unit price"] == _money(contract["list_unit_price"]) == "390.00"
        assert row["Awarded at"] == contract["awarded_at"]
        assert row["Contract status"] == "active" and row["Signed at"] == contract["signed_at"]
        assert row["Solicitation ID"] == contract["solicitation_id"]
        assert row["Consortium ID"] == market["consortium"]["id"]
        assert row["Consortium"] == "Crazy Mountains Cooperative"
        assert row["Lead district ID"] == contract["lead_district_id"]
        assert row["Provider ID"] == market["bidders"][0]["provider_id"]
        assert row["Provider"] == "Math Provider 0"
        assert row["Procurement method"] == "competitive_proposals"
        assert row["Method rationale"] == contract["award"]["method_rationale"]
        assert row["Noncompetitive justification"] == ""
        assert row["Contract type"] == "fixed_unit_price"
        assert row["Selection reason"] == "Highest weighted total against the published criteria."
        assert sorted(row["Rejection reasons"].split("; ")) == [
            "Math Provider 1: Lower weighted total.",
            "Math Provider 2: Lower weighted total.",
        ]
        assert row["Basis of price"] == "Competitive proposals; volume tier reached by pooled demand."
        assert row["Cost or price analysis"] == contract["award"]["cost_price_analysis"]
        assert (row["Term start"], row["Term end"]) == (contract["term_start"], contract["term_end"])
        assert row["End reason"] == ""
    assert sum(Decimal(r["Cost share"]) for r in formal) == Decimal(contract["total_value"])
    joined = next(r for r in formal if r["District ID"] == market["joiner"]["id"])
    assert joined["Joined at"] > joined["Awarded at"]
    assert {r["Joined at"] for r in formal if r is not joined} == {contract["awarded_at"]}

    [bought] = [r for r in rows if r["Contract ID"] == direct["id"]]
    assert (bought["Procurement method"], bought["Contract type"]) == ("direct_purchase", "firm_fixed_price")
    assert (bought["Solicitation ID"], bought["Consortium ID"], bought["Consortium"]) == ("", "", "")
    assert (bought["District"], bought["State"]) == ("Mora Independent Schools", "NM")
    assert bought["Noncompetitive justification"] == (
        "micro_purchase: Three catalog listings compared; this list price is the lowest."
    )
    assert (bought["Seats"], bought["Cost share"], bought["Contract value"]) == ("30", "12000.00", "12000.00")
    assert (bought["Contract status"], bought["Signed at"], bought["Rejection reasons"]) == ("awaiting_signature", "", "")


def test_each_query_filter_narrows_the_export(market: dict[str, Any]) -> None:
    reader: Caller = market["reader"]
    contract, direct = market["contract"], market["direct"]
    award_day = date.fromisoformat(contract["awarded_at"][:10])
    purchase_day = date.fromisoformat(direct["awarded_at"][:10])
    assert purchase_day > award_day

    def contracts(**query: Any) -> list[str]:
        return [row["Contract ID"] for row in _csv(reader, **query)]

    formal, bought = [contract["id"]] * 4, [direct["id"]]
    assert contracts() == formal + bought
    assert contracts(date_from=purchase_day.isoformat()) == bought
    assert contracts(date_to=(purchase_day - timedelta(days=1)).isoformat()) == formal
    assert contracts(date_from=award_day.isoformat(), date_to=award_day.isoformat()) == formal
    assert contracts(date_to="9999-12-31") == formal + bought  # the calendar's last day
    assert contracts(date_from="0001-01-01") == formal + bought
    assert contracts(consortium_id=market["consortium"]["id"]) == formal
    assert contracts(district_id=market["solo"]["id"]) == bought
    assert contracts(district_id=market["joiner"]["id"]) == [contract["id"]]
    assert contracts(provider_id=market["bidders"][0]["provider_id"]) == formal
    assert contracts(provider_id=market["bidders"][1]["provider_id"]) == bought
    assert contracts(provider_id=market["bidders"][2]["provider_id"]) == []
    assert contracts(method="competitive_proposals") == formal
    assert contracts(method="direct_purchase") == bought
    assert contracts(method="sealed_bids") == []
    assert _csv(reader, method="sealed_bids") == []  # the header alone

    xlsx = reader.get(XLSX_PATH, query_string={"method": "direct_purchase"})
    assert [r["Contract ID"] for r in _xlsx_rows(xlsx.data)] == bought


@pytest.mark.parametrize(
    "query, field",
    [
        ({"method": "handshake"}, "method"),
        ({"date_from": "last tuesday"}, "date_from"),
        ({"district_id": "not-a-uuid"}, "district_id"),
        ({"date_from": "2026-12-31", "date_to": "2026-01-01"}, "date_to"),
        ({"method": ["direct_purchase", "sealed_bids"]}, "method"),  # one value, not either
    ],
)
def test_bad_query_arguments_are_refused_with_the_error_envelope(
    anonymous: Caller, query: dict[str, str], field: str
) -> None:
    for path in (CSV_PATH, XLSX_PATH):
        response = anonymous.get(path, query_string=query)
        assert response.status_code == 422
        assert field in response.get_json()["errors"]["query"]


def test_the_export_is_public_and_documented(anonymous: Caller) -> None:
    empty = anonymous.get(CSV_PATH)
    assert empty.status_code == 200
    assert empty.get_data(as_text=True) == ",".join(exports.HEADERS) + "\r\n"
    spec = anonymous.get("/api/openapi.json").get_json()
    for path, content_type in ((CSV_PATH, "text/csv"), (XLSX_PATH, exports.XLSX_CONTENT_TYPE)):
        operation = spec["paths"][path]["get"]
        assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {
            "date_from", "date_to", "consortium_id", "district_id", "provider_id", "method",
        }
        assert "security" not in operation
        assert content_type in operation["responses"]["200"]["content"]
        assert "Rejection reasons" in operation["responses"]["200"]["description"]


# XLSX --------------------------------------------------------------------------------------------


def test_the_spreadsheet_has_the_same_rows_as_the_csv(market: dict[str, Any]) -> None:
    reader: Caller = market["reader"]
    response = reader.get(XLSX_PATH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response.headers["Content-Disposition"] == 'attachment; filename="award-register.xlsx"'
    assert response.is_streamed
    assert _xlsx_rows(response.data) == _csv(reader)


# The CLI twin ------------------------------------------------------------------------------------


def test_the_cli_writes_the_same_csv_and_spreadsheet_with_a_progress_bar(
    market: dict[str, Any], app: Any, tmp_path: Path
) -> None:
    reader: Caller = market["reader"]
    runner = app.test_cli_runner()
    over_http = reader.get(CSV_PATH).get_data()

    target = tmp_path / "awards.csv"
    result = runner.invoke(args=["export", "awards", "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == over_http
    assert "exporting award rows" in result.stderr
    assert "exported 5 award row(s) as csv" in result.stderr
    assert result.stdout == ""

    to_stdout = runner.invoke(args=["export", "awards"])
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == over_http

    sheet = tmp_path / "awards.xlsx"
    result = runner.invoke(args=["export", "awards", "--format", "xlsx", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "exporting award rows" in result.stderr
    assert _xlsx_rows(sheet.read_bytes()) == _xlsx_rows(reader.get(XLSX_PATH).data) == _csv(reader)

    filtered = tmp_path / "bought.csv"
    result = runner.invoke(
        args=["export", "awards", "--method", "direct_purchase", "--date-from", market["direct"]["awarded_at"][:10],
              "--district-id", market["solo"]["id"], "--output", str(filtered)]
    )
    assert result.exit_code == 0, result.output
    assert filtered.read_bytes() == reader.get(
        CSV_PATH,
        query_string={"method": "direct_purchase", "date_from": market["direct"]["awarded_at"][:10], "district_id": market["solo"]["id"]},
    ).get_data()
    assert "exported 1 award row(s)" in result.stderr


def test_the_cli_writes_every_ocds_release_as_one_package_equal_to_the_api(
    app: Any, market: dict[str, Any], anonymous: Caller, tmp_path: Path
) -> None:
    target = tmp_path / "releases.json"
    result = app.test_cli_runner().invoke(args=["export", "awards", "--format", "ocds", "--output", str(target)])
    assert result.exit_code == 0, result.output
    package = json.loads(target.read_bytes())
    served = anonymous.get("/api/v1/ocds/releases", query_string={"per_page": 100})
    assert served.status_code == 200
    assert package["releases"] == served.get_json()["releases"]
    assert int(served.headers["X-Total-Count"]) == len(package["releases"]) > 0
    assert package["publishedDate"] == max(r["date"] for r in package["releases"])
    assert f"exported {len(package['releases'])} OCDS release(s)" in result.stderr


def test_the_cli_ocds_package_refuses_award_only_filters(app: Any, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(
        args=["export", "awards", "--format", "ocds", "--method", "direct_purchase", "--output", str(tmp_path / "x")]
    )
    assert result.exit_code != 0
    assert "--method" in result.output


# The demo data -----------------------------------------------------------------------------------


def test_every_format_exports_one_row_per_award_and_party_of_the_demo_data(
    app: Any, anonymous: Caller, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    register = _ok(anonymous.get("/api/v1/contracts", query_string={"per_page": 100}))
    assert register["total"] == len(register["items"]) > 0
    expected = sum(len(item["parties"]) for item in register["items"])
    assert expected > register["total"]  # consortia: several parties per contract

    over_http = _csv(anonymous)
    assert len(over_http) == expected
    assert {r["Contract ID"] for r in over_http} == {item["id"] for item in register["items"]}
    assert len(_xlsx_rows(anonymous.get(XLSX_PATH).data)) == expected
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"demo.{fmt}"
        result = runner.invoke(args=["export", "awards", "--format", fmt, "--output", str(target)])
        assert result.exit_code == 0, result.output
        assert f"exported {expected} award row(s) as {fmt}" in result.stderr
        if fmt == "csv":
            assert len(list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))) == expected
        else:
            assert len(_xlsx_rows(target.read_bytes())) == expected
