"""The award register read model, driven through the application's use cases on both databases:
one row per award and member allocation with the record auditors ask for, kept current through
signature, amendment, renewal, joining, termination and cancellation; the export filters; a
rebuild from zero; and the CSV and spreadsheet writers' streaming."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from events.types import (
    ContractType,
    JoiningPolicy,
    NeedLine,
    PriceUnit,
    Pricing,
    ProcurementMethod,
    Role,
    Seats,
    Subject,
)
from marketplace import exports
from marketplace.domain.solicitations import AwardDecision
from projections import procurement_queries
from projections.award_register_queries import AwardFilters, award_rows, count_award_rows
from projections.tables import award_register
from tests.integration.readmodels import snapshot
from tests.integration.builders import provider_with_offerings


class Awards:
    """Builds award histories through the application's use cases, on the test clock."""

    def __init__(self, services: Any, clock: Any):
        self.services = services
        self.app = services.app
        self.clock = clock
        self.nces = 3000500
        self.ein = 500

    # Reading --------------------------------------------------------------------------------

    def rows(self, **filters: Any) -> list[Any]:
        """The register's rows (small test data: listing them is fine here)."""
        self.services.runner.catch_up()
        with self.services.engines.reader.connect() as conn:
            return list(award_rows(conn, AwardFilters(**filters)))

    def count(self, **filters: Any) -> int:
        self.services.runner.catch_up()
        with self.services.engines.reader.connect() as conn:
            return count_award_rows(conn, AwardFilters(**filters))

    def by_district(self, contract_id: UUID) -> dict[UUID, Any]:
        return {row.district_id: row for row in self.rows() if row.contract_id == contract_id}

    # Cast -----------------------------------------------------------------------------------

    def district(self, name: str, state: str = "MT") -> tuple[Any, UUID]:
        self.nces += 1
        buyer, _ = self.app.open_account(None, Role.BUYER, f"Buyer of {name}")
        registered = self.app.register_district(
            buyer,
            nces_id=str(self.nces),
            name=name,
            state=state,
            locale_code=43,
            enrollment=420,
            average_daily_attendance=380,
        )
        return self.app.get_account(buyer.id), registered.id

    def consortium(self, name: str, members: list[tuple[str, str]]) -> dict[str, Any]:
        parties = [self.district(n, s) for n, s in members]
        lead, lead_district = parties[0]
        formed = self.app.form_consortium(lead, name, lead_district, None)
        for buyer, district_id in parties[1:]:
            self.app.add_consortium_member(buyer, formed.id, district_id)
        return {
            "id": formed.id,
            "name": name,
            "lead": lead,
            "buyers": [b for b, _ in parties],
            "districts": [d for _, d in parties],
        }

    def provider(self, name: str, list_price: str = "40.00") -> dict[str, Any]:
        self.ein += 1
        account, provider_id, (offering_id,) = provider_with_offerings(
            self.app, self.ein, name, (f"{name} math",), list_price
        )
        return {"account": account, "id": provider_id, "name": name, "offering_id": offering_id}

    def quotes_award(
        self,
        consortium: dict[str, Any],
        providers: list[dict[str, Any]],
        prices: list[str],
        seats: list[int],
        joining: JoiningPolicy = JoiningPolicy.ANY_DISTRICT,
    ) -> dict[str, Any]:
        """Quotes from ``providers`` at ``prices``; the lowest wins. Returns the contract and
        the proposals by provider id."""
        due = self.clock.moment + timedelta(days=14)
        spec = {
            "title": "Middle school math",
            "lines": (
                NeedLine(
                    "Math 6-8",
                    Subject.MATH,
                    (),
                    tuple(Seats(d, n) for d, n in zip(consortium["districts"], seats)),
                ),
            ),
            "estimated_value": Decimal("20000"),
            "questions_due": due - timedelta(days=7),
            "proposals_due": due,
            "joining_policy": joining,
            "invited_provider_ids": tuple(p["id"] for p in providers),
        }
        lead = consortium["lead"]
        solicitation = self.app.draft_solicitation(lead, consortium["id"], spec)
        self.app.publish_solicitation(lead, solicitation.id)
        proposals = {}
        for provider, price in zip(providers, prices):
            proposal = self.app.submit_proposal(
                provider["account"],
                solicitation.id,
                [provider["offering_id"]],
                Pricing(PriceUnit.PER_STUDENT_PER_YEAR, Decimal(price)),
                "We will teach.",
            )
            proposals[provider["id"]] = proposal.id
        self.clock.advance(days=15)
        self.app.close_solicitation(solicitation.id, list(proposals.values()))
        evaluated = self.app.complete_evaluation(lead, solicitation.id)
        winner = evaluated.ranking[0]["proposal_id"]
        start = self.clock.moment.date() + timedelta(days=10)
        decision = AwardDecision(
            proposal_id=winner,
            contract_type=ContractType.FIXED_UNIT_PRICE,
            method_rationale="Below the simplified acquisition threshold: request for quotes.",
            selection_reason="Lowest quoted price.",
            rejections={p: f"Higher price than the winner ({n})." for n, p in enumerate(proposals.values()) if p != winner},
            price_basis="Quoted unit price, compared across three quotes.",
            cost_price_analysis="Quotes compared with each other and with catalog list prices.",
            term_start=start,
            term_end=start + timedelta(days=364),
        )
        contract = self.app.award(lead, solicitation.id, decision)
        return {"contract": contract, "solicitation_id": solicitation.id, "proposals": proposals}

    def sign(self, provider: dict[str, Any], contract_id: UUID) -> None:
        self.app.sign_contract(provider["account"], contract_id, "Dana Reyes, CEO")


@pytest.fixture
def awards(clock: Any, services: Any) -> Awards:
    return Awards(services, clock)


@pytest.fixture
def market(awards: Awards) -> dict[str, Any]:
    """A Montana consortium of three and three providers quoting; the cheapest (Beta) wins."""
    consortium = awards.consortium(
        "Crazy Mountains Cooperative",
        [("Big Timber Public Schools", "MT"), ("Harlowton Public Schools", "MT"), ("White Sulphur Springs", "MT")],
    )
    providers = [awards.provider(n) for n in ("Alpha Learning", "Beta Learning", "Gamma Learning")]
    awarded = awards.quotes_award(consortium, providers, ["41.00", "38.50", "39.75"], [20, 30, 50])
    return {"consortium": consortium, "providers": providers, **awarded}


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


# The record ---------------------------------------------------------------------------------------


def test_an_award_has_one_row_per_member_allocation_with_the_record_auditors_ask_for(
    awards: Awards, market: dict[str, Any]
) -> None:
    contract = market["contract"]
    consortium = market["consortium"]
    alpha, beta, gamma = market["providers"]
    rows = awards.rows()
    assert [r.contract_id for r in rows] == [contract.id] * 3
    assert {r.district_id for r in rows} == set(consortium["districts"])

    names = dict(zip(consortium["districts"], ["Big Timber Public Schools", "Harlowton Public Schools", "White Sulphur Springs"]))
    seats = dict(zip(consortium["districts"], [20, 30, 50]))
    for row in rows:
        assert row.solicitation_id == market["solicitation_id"]
        assert (row.consortium_id, row.consortium_name) == (consortium["id"], "Crazy Mountains Cooperative")
        assert row.lead_district_id == consortium["districts"][0]
        assert (row.district_name, row.district_state) == (names[row.district_id], "MT")
        assert (row.provider_id, row.provider_name) == (beta["id"], "Beta Learning")
        assert row.method == "request_for_quotes"
        assert row.method_rationale == "Below the simplified acquisition threshold: request for quotes."
        assert row.contract_type == "fixed_unit_price"
        assert row.selection_reason == "Lowest quoted price."
        assert row.price_basis == "Quoted unit price, compared across three quotes."
        assert row.cost_price_analysis == "Quotes compared with each other and with catalog list prices."
        assert row.justification is None
        assert (row.unit_price_cents, row.list_unit_price_cents) == (3850, 3850)
        assert row.seats == seats[row.district_id]
        assert row.amount_cents == 3850 * seats[row.district_id]
        assert row.total_value_cents == 3850 * 100
        assert (row.term_start, row.term_end) == (contract.term_start, contract.term_end)
        assert (row.status, row.signed_at, row.end_reason) == ("awaiting_signature", None, None)
        assert row.joined_at == row.awarded_at
        assert {r["provider_name"]: r["reason"] for r in row.rejections} == {
            "Alpha Learning": "Higher price than the winner (0).",
            "Gamma Learning": "Higher price than the winner (2).",
        }
        assert {r["provider_id"] for r in row.rejections} == {str(alpha["id"]), str(gamma["id"])}
        assert {r["proposal_id"] for r in row.rejections} == {
            str(market["proposals"][alpha["id"]]),
            str(market["proposals"][gamma["id"]]),
        }
    assert sum(r.amount_cents for r in rows) == rows[0].total_value_cents == _cents(str(contract.total_value))


def test_the_register_agrees_with_the_contracts_register(awards: Awards, market: dict[str, Any]) -> None:
    rows = awards.rows()  # caught up
    with awards.services.engines.reader.connect() as conn:
        page = procurement_queries.contracts_register(conn, None, None, None, None, 1, 50)
    [item] = page.items
    assert {str(r.district_id) for r in rows} == {p["district_id"] for p in item["parties"]}
    assert {r.total_value_cents for r in rows} == {_cents(item["total_value"])}


def test_signature_amendment_renewal_joining_and_termination_keep_every_row_current(
    awards: Awards, market: dict[str, Any], clock: Any
) -> None:
    contract = market["contract"]
    consortium = market["consortium"]
    lead = consortium["lead"]
    beta = market["providers"][1]

    clock.advance(days=1)
    awards.sign(beta, contract.id)
    signed = awards.by_district(contract.id)
    assert {r.status for r in signed.values()} == {"active"}
    assert len({r.signed_at for r in signed.values()}) == 1 and None not in {r.signed_at for r in signed.values()}

    awards.app.amend_contract(lead, contract.id, Decimal("36.00"), None, "Renegotiated after a price drop.")
    amended = awards.by_district(contract.id)
    assert {r.unit_price_cents for r in amended.values()} == {3600}
    assert {r.list_unit_price_cents for r in amended.values()} == {3850}
    assert {r.total_value_cents for r in amended.values()} == {3600 * 100}
    assert {d: r.amount_cents for d, r in amended.items()} == {
        d: 3600 * n for d, n in zip(consortium["districts"], [20, 30, 50])
    }
    assert {d: r.joined_at for d, r in amended.items()} == {d: r.joined_at for d, r in signed.items()}

    longer = contract.term_end + timedelta(days=30)
    awards.app.amend_contract(lead, contract.id, None, longer, "Summer school added.")
    renewed_to = longer + timedelta(days=365)
    awards.app.renew_contract(lead, contract.id, renewed_to, "Second year at the same price.")
    assert {r.term_end for r in awards.by_district(contract.id).values()} == {renewed_to}

    # A district outside the consortium joins (the solicitation allowed any district).
    clock.advance(days=12)
    joiner_buyer, joiner = awards.district("Melville Public Schools", "MT")
    awards.app.join_contract(joiner_buyer, contract.id, joiner, 10, beta["offering_id"])
    joined = awards.by_district(contract.id)
    assert len(joined) == 4
    new_row = joined[joiner]
    assert (new_row.district_name, new_row.seats, new_row.amount_cents) == ("Melville Public Schools", 10, 3600 * 10)
    assert new_row.joined_at > new_row.awarded_at
    assert (new_row.status, new_row.signed_at) == ("active", signed[consortium["districts"][0]].signed_at)
    assert (new_row.method_rationale, new_row.rejections) == (
        signed[consortium["districts"][0]].method_rationale,
        signed[consortium["districts"][0]].rejections,
    )
    assert {r.total_value_cents for r in joined.values()} == {3600 * 110}
    assert sum(r.amount_cents for r in joined.values()) == 3600 * 110
    assert _cents(str(awards.app.get_contract(contract.id).total_value)) == 3600 * 110

    awards.app.terminate_contract(lead, contract.id, "The provider stopped supporting the product.")
    ended = awards.by_district(contract.id)
    assert {(r.status, r.end_reason) for r in ended.values()} == {
        ("terminated", "The provider stopped supporting the product.")
    }


def test_a_cancelled_award_stays_on_record_with_its_reason(awards: Awards, market: dict[str, Any]) -> None:
    consortium = market["consortium"]
    awards.app.cancel_award(consortium["lead"], market["solicitation_id"], "Quote arithmetic error.")
    rows = awards.by_district(market["contract"].id)
    assert {(r.status, r.end_reason) for r in rows.values()} == {("cancelled", "Quote arithmetic error.")}


def test_a_direct_purchase_records_its_price_reasonableness_as_the_justification(
    awards: Awards, clock: Any
) -> None:
    buyer, district = awards.district("Mora Independent Schools", "NM")
    provider = awards.provider("Delta Tutors", list_price="90.00")
    today = clock.moment.date()
    contract = awards.app.direct_purchase(
        buyer,
        provider["offering_id"],
        [Seats(district, 12)],
        None,
        "Three catalog listings compared; this one is the lowest.",
        ContractType.FIRM_FIXED_PRICE,
        today,
        today + timedelta(days=180),
    )
    [row] = awards.rows()
    assert (row.contract_id, row.district_id, row.district_state) == (contract.id, district, "NM")
    assert (row.solicitation_id, row.consortium_id, row.consortium_name) == (None, None, None)
    assert (row.method, row.contract_type) == ("direct_purchase", "firm_fixed_price")
    assert row.justification == {
        "case": "micro_purchase",
        "explanation": "Three catalog listings compared; this one is the lowest.",
    }
    assert row.rejections == [] and row.cost_price_analysis is None
    assert (row.seats, row.amount_cents, row.total_value_cents) == (12, 1080 * 100, 1080 * 100)
    assert row.price_basis.startswith("catalog list price 90.00")


# Filters and order ---------------------------------------------------------------------------------


def test_each_filter_narrows_the_register_and_the_order_is_stable(
    awards: Awards, market: dict[str, Any], clock: Any
) -> None:
    first = market["contract"]
    montana = market["consortium"]
    alpha = market["providers"][0]
    first_day = awards.rows()[0].awarded_at.date()

    clock.advance(days=40)
    dakota = awards.consortium(
        "Prairie Rose Purchasing Alliance", [("Hettinger Public Schools", "ND"), ("Mott-Regent Schools", "ND")]
    )
    providers = [alpha, awards.provider("Epsilon Learning"), awards.provider("Zeta Learning")]
    second = awards.quotes_award(dakota, providers, ["30.00", "35.00", "36.00"], [40, 60])["contract"]
    second_day = next(r for r in awards.rows() if r.contract_id == second.id).awarded_at.date()
    assert second_day > first_day

    clock.advance(days=40)
    buyer, alone = awards.district("Mora Independent Schools", "NM")
    today = clock.moment.date()
    third = awards.app.direct_purchase(
        buyer, alpha["offering_id"], [Seats(alone, 5)], None,
        "Catalog price checked against two similar listings.", ContractType.FIXED_UNIT_PRICE,
        today, today + timedelta(days=90),
    )

    everything = awards.rows()
    assert len(everything) == 3 + 2 + 1
    keys = [(r.awarded_at, str(r.contract_id), str(r.district_id)) for r in everything]
    assert keys == sorted(keys)
    assert [r.contract_id for r in everything] == [first.id] * 3 + [second.id] * 2 + [third.id]
    assert awards.count() == 6

    def contracts(**filters: Any) -> list[UUID]:
        found = [r.contract_id for r in awards.rows(**filters)]
        assert awards.count(**filters) == len(found)
        return found

    assert contracts(date_from=second_day) == [second.id] * 2 + [third.id]
    assert contracts(date_to=second_day) == [first.id] * 3 + [second.id] * 2
    assert contracts(date_from=second_day, date_to=second_day) == [second.id] * 2
    assert contracts(date_from=first_day + timedelta(days=1), date_to=second_day - timedelta(days=1)) == []
    assert contracts(consortium_id=montana["id"]) == [first.id] * 3
    assert contracts(consortium_id=dakota["id"]) == [second.id] * 2
    assert contracts(district_id=dakota["districts"][1]) == [second.id]
    assert contracts(district_id=alone) == [third.id]
    assert contracts(provider_id=alpha["id"]) == [second.id] * 2 + [third.id]
    assert contracts(provider_id=market["providers"][1]["id"]) == [first.id] * 3
    assert contracts(method="direct_purchase") == [third.id]
    assert contracts(method=ProcurementMethod.REQUEST_FOR_QUOTES) == [first.id] * 3 + [second.id] * 2
    assert contracts(method="sealed_bids") == []
    assert contracts(provider_id=alpha["id"], method="request_for_quotes", date_to=second_day) == [second.id] * 2
    assert contracts(provider_id=uuid4()) == []


# Rebuild ---------------------------------------------------------------------------------------------


def test_a_rebuild_of_the_register_reproduces_the_same_rows(
    awards: Awards, market: dict[str, Any], clock: Any
) -> None:
    contract = market["contract"]
    beta = market["providers"][1]
    awards.sign(beta, contract.id)
    buyer, joiner = awards.district("Melville Public Schools")
    clock.advance(days=12)
    awards.app.join_contract(buyer, contract.id, joiner, 10, beta["offering_id"])
    awards.app.amend_contract(market["consortium"]["lead"], contract.id, Decimal("37.25"), None, "Price drop.")
    awards.rows()  # caught up
    before = snapshot(awards.services.engines.reader)["award_register"]
    assert len(before) == 4

    runner = awards.services.runner
    runner.reset(["award_register"])
    with awards.services.engines.reader.connect() as conn:
        assert conn.execute(select(award_register)).all() == []
    runner.rebuild(["award_register"])
    assert snapshot(awards.services.engines.reader)["award_register"] == before


# The writers -----------------------------------------------------------------------------------------


def _fake_row(n: int, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "contract_id": UUID(int=n),
        "district_id": UUID(int=10_000 + n),
        "solicitation_id": None,
        "consortium_id": None,
        "consortium_name": None,
        "lead_district_id": UUID(int=10_000 + n),
        "district_name": f"District {n}",
        "district_state": "MT",
        "provider_id": UUID(int=20_000 + n),
        "provider_name": "Provider, \"quoted\"",
        "method": "direct_purchase",
        "method_rationale": "At or below the micro-purchase threshold.",
        "contract_type": "fixed_unit_price",
        "selection_reason": "Lowest list price.\nChecked twice.",
        "rejections": [],
        "price_basis": "Catalog list price.",
        "cost_price_analysis": None,
        "justification": {"case": "micro_purchase", "explanation": "Prices compared."},
        "seats": n,
        "amount_cents": 1050 * n,
        "unit_price_cents": 1050,
        "list_unit_price_cents": 1100,
        "total_value_cents": 1050 * n,
        "term_start": date(2026, 12, 1),
        "term_end": date(2027, 11, 30),
        "awarded_at": None,
        "joined_at": None,
        "signed_at": None,
        "status": "awaiting_signature",
        "end_reason": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def test_rejections_are_flattened_by_provider_name_or_id_and_justification_as_case_and_explanation() -> None:
    unknown = str(UUID(int=5))
    rejections = [
        {"provider_id": str(UUID(int=4)), "provider_name": "Alpha Learning", "reason": "Higher price."},
        {"provider_id": unknown, "provider_name": None, "reason": "Late delivery plan."},
    ]
    assert exports.rejections_text(rejections) == f"Alpha Learning: Higher price.; {unknown}: Late delivery plan."
    assert exports.rejections_text([]) == ""
    assert exports.justification_text({"case": "single_source", "explanation": "Only one."}) == "single_source: Only one."
    assert exports.justification_text(None) is None


def test_csv_values_format_money_dates_and_neutralise_formulas() -> None:
    row = _fake_row(3, provider_name="=HYPERLINK(\"http://evil\")", selection_reason="-5 points")
    values = dict(zip(exports.HEADERS, exports.csv_values(row)))
    assert values["Provider"] == "'=HYPERLINK(\"http://evil\")"
    assert values["Selection reason"] == "'-5 points"
    assert (values["Unit price"], values["List unit price"], values["Cost share"]) == ("10.50", "11.00", "31.50")
    assert (values["Term start"], values["Term end"]) == ("2026-12-01", "2027-11-30")
    assert values["Noncompetitive justification"] == "micro_purchase: Prices compared."
    assert values["Consortium"] == "" and values["Signed at"] == ""


def test_csv_is_yielded_in_chunks_and_parses_back() -> None:
    produced = (_fake_row(n) for n in range(1, 2001))
    chunks = exports.csv_chunks(produced, chunk_size=4096)
    first = next(chunks)
    assert first.startswith("Contract ID,Awarded at,")
    rest = list(chunks)
    assert len(rest) > 10
    assert max(len(c) for c in [first, *rest]) < 4096 + 1024
    parsed = list(csv.DictReader(io.StringIO(first + "".join(rest))))
    assert len(parsed) == 2000
    assert tuple(parsed[0]) == exports.HEADERS
    assert parsed[1999]["Seats"] == "2000" and parsed[1999]["Provider"] == 'Provider, "quoted"'
    assert parsed[0]["Selection reason"] == "Lowest list price.\nChecked twice."


def test_the_spreadsheet_is_streamed_from_a_temporary_file_that_is_removed(tmp_path: Any, monkeypatch: Any) -> None:
    from openpyxl import load_workbook

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    chunks = exports.xlsx_chunks((_fake_row(n) for n in range(1, 501)), chunk_size=1024)
    data = b"".join(chunks)
    assert os.listdir(tmp_path) == []
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.HEADERS
    assert len(rows) == 501
    header = {h: i for i, h in enumerate(exports.HEADERS)}
    assert rows[500][header["Seats"]] == 500
    assert rows[500][header["Cost share"]] == pytest.approx(5250.0)
    assert rows[500][header["Term start"]].date() == date(2026, 12, 1)

    stopped = exports.xlsx_chunks((_fake_row(n) for n in range(1, 501)), chunk_size=1024)
    next(stopped)
    assert len(os.listdir(tmp_path)) == 1
    stopped.close()  # a client that goes away
    assert os.listdir(tmp_path) == []


def test_a_full_worksheet_continues_on_a_new_one_with_its_own_header(monkeypatch: Any) -> None:
    from openpyxl import load_workbook

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)  # the header and three rows per sheet
    data = b"".join(exports.xlsx_chunks(_fake_row(n) for n in range(1, 8)))
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]
    workbook.close()
    assert workbook.sheetnames == ["Award register", "Award register (2)", "Award register (3)"]
    assert [rows[0] for rows in sheets] == [exports.HEADERS] * 3
    seats = exports.HEADERS.index("Seats")
    assert [[row[seats] for row in rows[1:]] for rows in sheets] == [[1, 2, 3], [4, 5, 6], [7]]
