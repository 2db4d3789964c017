"""Report cards, on both databases: built only from outcome reports and contract facts, every
figure matching the reports it comes from, small counts shown and flagged, and the outcomes read
model rebuilt from zero to the same rows."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from events.types import (
    ContractType,
    Evidence,
    JoiningPolicy,
    ProcurementMethod,
    ReportedResult,
    Role,
    Seats,
    Usage,
)
from marketplace.domain.contracts import Contract
from projections import outcomes_queries as cards
from tests.integration.readmodels import snapshot
from tests.integration.builders import provider_with_offerings

NOTE = "Catalog list price matches two comparable offerings' published prices."
TERM = (date(2025, 7, 1), date(2027, 6, 30))  # the 2025-26 and 2026-27 school years
YEAR = "2026-27"  # the test clock starts on 2026-11-02
PROFICIENT = "Students proficient on the state math test (%)"
GROWTH = "Median growth percentile, fall to spring"
STUDY = Evidence(2, "https://evidence.example.org/prairie-math", date(2024, 5, 1), "A quasi-experimental study")


class Market:
    """Districts, a consortium, providers and signed contracts, through the application's use cases."""

    def __init__(self, services: Any):
        self.services = services
        self.app = services.app
        self.nces = 3000500
        self.ein = 500
        self.buyers: dict[UUID, Any] = {}
        self.lead: Any = None
        self.consortium_id: UUID | None = None

    def district(self, name: str, locale: int = 43, ada: int = 380, enrollment: int = 400) -> UUID:
        """A district registered by its own buyer and added to the consortium (the first leads it)."""
        self.nces += 1
        buyer, _ = self.app.open_account(None, Role.BUYER, f"Buyer of {name}")
        district = self.app.register_district(
            buyer,
            nces_id=str(self.nces),
            name=name,
            state="MT",
            locale_code=locale,
            enrollment=enrollment,
            average_daily_attendance=ada,
        )
        buyer = self.app.get_account(buyer.id)
        self.buyers[district.id] = buyer
        if self.consortium_id is None:
            self.lead = buyer
            self.consortium_id = self.app.form_consortium(buyer, "Big Sky Cooperative", district.id, None).id
        else:
            self.app.add_consortium_member(buyer, self.consortium_id, district.id)
        return district.id

    def provider(self, titles: tuple[str, ...] = ("Prairie Math",), evidence: Evidence | None = STUDY) -> tuple[Any, list[UUID]]:
        self.ein += 1
        account, _, offerings = provider_with_offerings(
            self.app, self.ein, f"Provider {self.ein} Learning", titles, evidence=evidence
        )
        return account, offerings

    def contract(self, provider: Any, offering_id: UUID, seats: dict[UUID, int]) -> UUID:
        """A direct purchase for the consortium's districts, signed by the provider."""
        demand = [Seats(d, n) for d, n in seats.items()]
        contract = self.app.direct_purchase(
            self.lead, offering_id, demand, self.consortium_id, NOTE, ContractType.FIXED_UNIT_PRICE, *TERM
        )
        self.app.sign_contract(provider, contract.id, "Dana Reyes, CEO")
        return contract.id

    def report(self, contract_id: UUID, district_id: UUID, year: str = YEAR, **details: Any) -> UUID:
        fields: dict[str, Any] = {"students_served": 0, "renewing": False, **details}
        return self.app.report_outcome(self.buyers[district_id], contract_id, district_id, year, fields).id

    def card(self, offering_id: UUID, year: str | None = YEAR) -> dict[str, Any]:
        self.services.runner.catch_up()
        with self.services.engines.reader.connect() as conn:
            card = cards.report_card(conn, offering_id, year, date(2026, 11, 2))
        assert card is not None
        return card

    def cards(self, year: str | None, page: int = 1, per_page: int = 20) -> Any:
        self.services.runner.catch_up()
        with self.services.engines.reader.connect() as conn:
            return cards.report_cards(conn, year, page, per_page, date(2026, 11, 2))


@pytest.fixture
def market(clock: Any, services: Any) -> Market:
    return Market(services)


def result(measure: str, baseline: str | None, value: str, method: str = "State assessment, spring to spring") -> ReportedResult:
    return ReportedResult(measure, None if baseline is None else Decimal(baseline), Decimal(value), method)


# Figures match the reports ----------------------------------------------------------------------


def test_a_card_counts_exactly_what_the_outcome_reports_say(market: Market) -> None:
    districts = {
        "Big Timber": market.district("Big Timber", locale=43, ada=398, enrollment=420),
        "Harlowton": market.district("Harlowton", locale=42, ada=241, enrollment=260),
        "Bozeman": market.district("Bozeman", locale=13, ada=6200, enrollment=7000),
        "Melville": market.district("Melville", locale=43, ada=84, enrollment=90),  # party, silent
    }
    seats = {"Big Timber": 100, "Harlowton": 60, "Bozeman": 150, "Melville": 20}
    provider, (offering,) = market.provider()
    contract = market.contract(provider, offering, {districts[n]: s for n, s in seats.items()})
    submitted = {
        "Big Timber": {
            "students_served": 120,
            "usage": Usage(average_minutes_per_week=75, sessions=60),
            "results": [result(PROFICIENT, "31", "38.5")],
            "satisfaction": 4,
            "renewing": True,
        },
        "Harlowton": {
            "students_served": 55,
            "results": [result(PROFICIENT, "40", "39"), result(GROWTH, None, "61", "NWEA MAP")],
            "satisfaction": 5,
            "renewing": False,
        },
        "Bozeman": {"students_served": 900, "satisfaction": None, "renewing": True},
    }
    rural = {"Big Timber": True, "Harlowton": True, "Bozeman": False, "Melville": True}
    for name, details in submitted.items():
        market.report(contract, districts[name], **details)

    card = market.card(offering)

    n = len(submitted)
    rural_reporting = sum(rural[name] for name in submitted)
    renewing = sum(d["renewing"] for d in submitted.values())
    assert card["n"] == card["districts_reporting"]["n"] == n
    assert card["small_sample"] is True
    assert card["rural_share"]["reporting"] == {"n": n, "rural": rural_reporting, "ratio": round(rural_reporting / n, 4)}
    assert card["rural_share"]["served"] == {"n": 4, "rural": sum(rural.values()), "ratio": round(sum(rural.values()) / 4, 4)}
    assert card["districts_served"]["n"] == len(districts) and card["districts_served"]["contracts"] == 1
    assert card["renewals"] == {"n": n, "renewing": renewing, "ratio": round(renewing / n, 4)}
    assert card["students_served"] == {
        "n": n,
        "total": sum(d["students_served"] for d in submitted.values()),
        "seats": sum(seats[name] for name in submitted),
    }
    given = [d["satisfaction"] for d in submitted.values() if d["satisfaction"] is not None]
    assert card["satisfaction"] == {
        "n": len(given),
        "not_reported": n - len(given),
        "distribution": {str(level): Counter(given)[level] for level in range(1, 6)},
    }


def test_results_are_listed_by_measure_and_never_averaged(market: Market) -> None:
    a, b = market.district("Augusta"), market.district("Belt")
    provider, (offering,) = market.provider()
    contract = market.contract(provider, offering, {a: 10, b: 10})
    market.report(contract, a, results=[result(PROFICIENT, "31", "38.5")])
    market.report(contract, b, results=[result(PROFICIENT.upper(), "40", "39"), result(GROWTH, None, "61", "NWEA MAP")])

    results = market.card(offering)["results"]

    assert (results["n"], results["districts"]) == (3, 2)
    by_measure = {m["measure"].casefold(): m for m in results["measures"]}
    assert set(by_measure) == {PROFICIENT.casefold(), GROWTH.casefold()}
    proficient = by_measure[PROFICIENT.casefold()]
    assert proficient["n"] == 2
    assert [(i["district"]["name"], i["baseline"], i["result"], i["change"]) for i in proficient["items"]] == [
        ("Augusta", "31", "38.5", "7.5"),
        ("Belt", "40", "39", "-1"),
    ]
    growth = by_measure[GROWTH.casefold()]["items"]
    assert [(i["baseline"], i["result"], i["change"], i["method"]) for i in growth] == [(None, "61", None, "NWEA MAP")]


def test_a_revision_changes_the_card_but_not_the_number_of_reports(market: Market) -> None:
    a = market.district("Augusta")
    provider, (offering,) = market.provider()
    contract = market.contract(provider, offering, {a: 10})
    report_id = market.report(contract, a, students_served=300, renewing=True)

    market.app.revise_outcome_report(market.buyers[a], report_id, {"students_served": 30, "renewing": False}, "Typo.")

    card = market.card(offering)
    assert card["n"] == 1 and card["students_served"]["total"] == 30
    assert card["renewals"] == {"n": 1, "renewing": 0, "ratio": 0.0}
    assert card["reports"][0]["version"] == 2


# Small counts are flagged, never hidden ----------------------------------------------------------


def test_a_single_report_still_yields_a_card_with_n_1_flagged_as_a_small_sample(market: Market) -> None:
    a, silent = market.district("Augusta"), market.district("Belt")
    provider, (offering,) = market.provider()
    contract = market.contract(provider, offering, {a: 10, silent: 10})
    market.report(contract, a, students_served=12, satisfaction=2, renewing=False, results=[result(GROWTH, None, "44")])

    page = market.cards(YEAR)
    card = market.card(offering)

    assert page.total == 1 and page.items[0]["offering"]["id"] == str(offering)
    assert page.items[0]["n"] == card["n"] == 1 and card["small_sample"] is True
    assert card["students_served"]["total"] == 12
    assert card["satisfaction"]["distribution"]["2"] == 1
    assert card["results"]["measures"][0]["items"][0]["result"] == "44"
    assert card["districts_served"]["n"] == 2


def test_five_reporting_districts_are_no_longer_a_small_sample(market: Market) -> None:
    districts = [market.district(f"District {n}") for n in range(6)]
    provider, (offering,) = market.provider()
    contract = market.contract(provider, offering, {d: 10 for d in districts})

    for count, district in enumerate(districts[:5], start=1):
        market.report(contract, district, students_served=10)
        card = market.card(offering)
        assert (card["n"], card["small_sample"]) == (count, count < 5)


def test_an_offering_without_reports_has_a_card_with_n_0_and_no_ratios(market: Market) -> None:
    _, (offering,) = market.provider()

    card = market.card(offering, None)

    assert card["school_year"] == YEAR and card["years_reported"] == []
    assert card["n"] == 0 and card["small_sample"] is True
    assert card["renewals"] == {"n": 0, "renewing": 0, "ratio": None}
    assert market.cards(None).total == 0


# Evidence comes from the offering ---------------------------------------------------------------


def test_the_claimed_evidence_tier_and_its_study_come_from_the_offering(market: Market) -> None:
    a = market.district("Augusta")
    provider, (with_study,) = market.provider(("Studied Math",))
    newcomer, (without,) = market.provider(("New Math",), evidence=None)
    market.report(market.contract(provider, with_study, {a: 10}), a)
    market.report(market.contract(newcomer, without, {a: 10}), a)

    assert market.card(with_study)["claimed_evidence"] == {
        "tier": STUDY.tier,
        "study_url": STUDY.study_url,
        "study_date": STUDY.study_date.isoformat(),
        "study_title": STUDY.study_title,
    }
    assert market.card(without)["claimed_evidence"] is None
    assert market.card(without)["n"] == 1  # no evidence claimed hides nothing


def test_every_card_in_the_list_shows_its_offerings_designations_as_labels(market: Market) -> None:
    a = market.district("Augusta")
    provider, (designated, plain) = market.provider(("Designated Math", "Plain Math"))
    market.report(market.contract(provider, designated, {a: 10}), a)
    market.report(market.contract(provider, plain, {a: 10}), a)
    authority, _ = market.app.open_account(None, Role.AUTHORITY, "State office")
    market.app.issue_designation(
        authority,
        designated,
        name="Montana Approved Personalized Learning Model",
        issuer="Montana Office of Public Instruction",
        criteria_url="https://opi.mt.example.gov/approved-models/criteria",
        valid_from=date(2026, 9, 1),
    )

    listed = {card["offering"]["title"]: card for card in market.cards(YEAR).items}

    assert [(d["name"], d["status"]) for d in listed["Designated Math"]["designations"]] == [
        ("Montana Approved Personalized Learning Model", "active")
    ]
    assert listed["Plain Math"]["designations"] == []
    assert listed["Designated Math"]["designations"] == market.card(designated)["designations"]


# Years, offerings, paging -------------------------------------------------------------------------


def test_a_year_filter_separates_school_years(market: Market) -> None:
    a, b = market.district("Augusta"), market.district("Belt")
    provider, (offering,) = market.provider()
    contract = market.contract(provider, offering, {a: 10, b: 10})
    market.report(contract, a, "2025-26", students_served=40, renewing=True)
    market.report(contract, a, "2026-27", students_served=70)
    market.report(contract, b, "2026-27", students_served=25)

    earlier, later = market.cards("2025-26"), market.cards("2026-27")
    every = market.cards(None)

    assert [(c["school_year"], c["n"], c["students_served"]["total"]) for c in earlier.items] == [("2025-26", 1, 40)]
    assert [(c["school_year"], c["n"], c["students_served"]["total"]) for c in later.items] == [("2026-27", 2, 95)]
    assert [c["school_year"] for c in every.items] == ["2026-27", "2025-26"]  # newest first
    assert market.card(offering, None)["years_reported"] == ["2026-27", "2025-26"]
    assert market.card(offering, "2025-26")["renewals"]["renewing"] == 1


def test_a_report_counts_only_on_the_cards_of_the_offerings_it_names(market: Market) -> None:
    a, b = market.district("Augusta"), market.district("Belt")
    provider, (math, reading) = market.provider(("Math Pathways", "Reading Pathways"))
    contract = Contract.award(
        market.lead,
        lead_district_id=a,
        seats_by_district={a: 10, b: 10},
        unit_price=Decimal("40.00"),
        solicitation_id=None,
        consortium_id=market.consortium_id,
        provider_id=provider.organization_id,
        proposal_id=None,
        offering_ids=(math, reading),
        method=ProcurementMethod.DIRECT_PURCHASE,
        method_rationale="At or below the micro-purchase threshold",
        contract_type=ContractType.FIXED_UNIT_PRICE,
        selection_reason=NOTE,
        rejections=(),
        price_basis="Catalog list price",
        cost_price_analysis=None,
        justification=None,
        term_start=TERM[0],
        term_end=TERM[1],
        list_unit_price=Decimal("40.00"),
        joining_policy=JoiningPolicy.NONE,
        eligible_district_ids=(),
    )
    market.app.save(contract)
    market.app.sign_contract(provider, contract.id, "Dana Reyes, CEO")
    market.report(contract.id, a, students_served=10)  # both offerings, by default
    market.report(contract.id, b, students_served=20, offering_ids=[reading])

    math_card, reading_card = market.card(math), market.card(reading)

    assert (math_card["n"], math_card["students_served"]["total"]) == (1, 10)
    assert (reading_card["n"], reading_card["students_served"]["total"]) == (2, 30)
    assert math_card["districts_served"]["n"] == 2  # Belt is party to the contract, silent on math
    assert [c["offering"]["title"] for c in market.cards(YEAR).items] == ["Math Pathways", "Reading Pathways"]


def test_report_cards_page_like_every_list(market: Market) -> None:
    a = market.district("Augusta")
    offerings = []
    for title in ("Algebra Studio", "Biology Lab", "Civics Forum"):
        provider, (offering,) = market.provider((title,))
        market.report(market.contract(provider, offering, {a: 10}), a)
        offerings.append(offering)

    second = market.cards(YEAR, page=2, per_page=2)

    assert (second.total, second.page, second.per_page) == (3, 2, 2)
    assert [c["offering"]["title"] for c in second.items] == ["Civics Forum"]


# Rebuild ------------------------------------------------------------------------------------------


def test_rebuilding_the_outcomes_read_model_reproduces_the_same_rows_and_cards(market: Market) -> None:
    a, b = market.district("Augusta"), market.district("Bozeman", locale=13, ada=6200, enrollment=7000)
    provider, (offering,) = market.provider()
    contract = market.contract(provider, offering, {a: 10, b: 40})
    report_id = market.report(contract, a, usage=Usage(90, None, "Two periods a week"), results=[result(GROWTH, "50", "58")])
    market.report(contract, b, "2025-26", students_served=35, satisfaction=3, renewing=True)
    market.app.revise_outcome_report(market.buyers[a], report_id, {"usage": None, "satisfaction": 4}, "Corrected.")
    runner = market.services.runner
    runner.catch_up()
    rows = snapshot(market.services.engines.reader)["outcome_reports"]
    card = market.card(offering)
    assert len(rows) == 2

    runner.rebuild(["outcomes"])

    assert snapshot(market.services.engines.reader)["outcome_reports"] == rows
    assert market.card(offering) == card


def test_districts_served_count_a_contract_nobody_has_reported_on_yet(market: Market) -> None:
    districts = [market.district(f"District {n}") for n in range(3)]
    provider, (offering,) = market.provider()
    market.contract(provider, offering, {d: 100 for d in districts})

    card = market.card(offering)

    assert card["n"] == 0  # no district has reported
    assert card["districts_served"]["n"] == 3 and card["districts_served"]["contracts"] == 1
