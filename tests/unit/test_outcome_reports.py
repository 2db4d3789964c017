"""Outcome reports: a party district's buyer reports a school year on a contract that ran, once
per year; a correction is a revision kept in history. Every refusal records nothing."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.utils import resolve_topic

from events.outcomes import OutcomeReported, OutcomeReportRevised
from events.types import ContractType, ReportedResult, Role, Seats, Usage
from marketplace.domain.contracts import Contract, ContractStatus
from marketplace.domain.errors import AlreadyExists, InvalidValue, NotAllowed, WrongState
from marketplace.domain.outcomes import MAX_SESSIONS, OutcomeReport, SchoolYear
from tests.unit.conftest import FixedClock
from tests.unit.procurement_factories import (
    DURING_TERM,
    TERM_END,
    TERM_START,
    Cooperative,
    per_student,
    refused,
    stored_events,
)

NOTE = "Catalog list price matches two comparable offerings' published prices."
YEAR = "2026-27"  # TERM_START 2026-07-01 to TERM_END 2027-06-30


@pytest.fixture
def coop(fixed_clock: FixedClock) -> Cooperative:
    """Three small rural districts (enrollment 400) in one consortium; the clock ends in the
    2026-27 school year, during the contracts' term."""
    return Cooperative.build(fixed_clock)


def buy(
    coop: Cooperative,
    seats: tuple[int, ...] = (10, 10, 10),
    sign: bool = True,
    term: tuple[date, date] = (TERM_START, TERM_END),
) -> Contract:
    """A direct purchase of provider 0's offering for the consortium's districts (400.00 a seat)."""
    contract = coop.app.direct_purchase(
        coop.lead,
        coop.offerings[0].id,
        [Seats(d.id, n) for d, n in zip(coop.districts, seats)],
        coop.consortium_id,
        NOTE,
        ContractType.FIXED_UNIT_PRICE,
        *term,
    )
    if sign:
        contract = coop.app.sign_contract(coop.providers[0], contract.id, "Dana Reyes, CEO")
    coop.clock.moment = DURING_TERM
    return contract


@pytest.fixture
def contract(coop: Cooperative) -> Contract:
    return buy(coop)


def details(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "students_served": 120,
        "usage": Usage(average_minutes_per_week=75, sessions=60),
        "results": [
            ReportedResult(
                "Students proficient on the state math test (%)",
                Decimal("31"),
                Decimal("38.5"),
                "State assessment, spring to spring, grades 6-8",
            )
        ],
        "satisfaction": 4,
        "renewing": True,
    }
    fields.update(overrides)
    return fields


def report(coop: Cooperative, contract: Contract, n: int = 0, year: str = YEAR, **overrides: Any) -> OutcomeReport:
    """District ``n`` reports, by its own buyer."""
    return coop.app.report_outcome(coop.buyers[n], contract.id, coop.districts[n].id, year, details(**overrides))


# Reporting --------------------------------------------------------------------------------------


def test_a_party_districts_buyer_reports_a_school_year_with_the_contract_facts_it_needs(
    coop: Cooperative, contract: Contract
) -> None:
    reported = report(coop, contract, 1)

    event = stored_events(coop.app, reported.id)[0]
    assert isinstance(event, OutcomeReported)
    assert event.school_year == YEAR
    assert event.contract_id == contract.id and event.district_id == coop.districts[1].id
    assert event.provider_id == contract.provider_id
    assert tuple(event.offering_ids) == contract.offering_ids
    assert event.seats == 10
    assert event.district_locale_code == 43 and event.district_average_daily_attendance == 380
    assert event.actor == str(coop.buyers[1].id)


def test_the_report_id_derives_from_contract_district_and_school_year(
    coop: Cooperative, contract: Contract
) -> None:
    reported = report(coop, contract, 0)

    assert reported.id == OutcomeReport.id_for(contract.id, coop.districts[0].id, YEAR)
    assert reported.id != OutcomeReport.id_for(contract.id, coop.districts[1].id, YEAR)
    assert reported.id != OutcomeReport.id_for(contract.id, coop.districts[0].id, "2027-28")


def test_a_reloaded_report_reads_back_exactly_as_it_was_reported(coop: Cooperative, contract: Contract) -> None:
    reported = report(coop, contract, 0)

    reloaded = coop.app.get_outcome_report(reported.id)

    assert reloaded.results == reported.results
    assert reloaded.results[0].result == Decimal("38.5")
    assert reloaded.usage == Usage(75, 60, None)
    assert reloaded.offering_ids == contract.offering_ids
    assert (reloaded.students_served, reloaded.satisfaction, reloaded.renewing) == (120, 4, True)
    assert reloaded.rural and reloaded.small


def test_a_report_may_have_no_results_yet_and_no_usage_or_satisfaction(
    coop: Cooperative, contract: Contract
) -> None:
    reported = report(coop, contract, 0, results=[], usage=None, satisfaction=None, renewing=False)

    assert reported.results == () and reported.usage is None and reported.satisfaction is None


def test_students_served_may_exceed_the_seats_bought_but_not_the_districts_enrollment(
    coop: Cooperative, contract: Contract
) -> None:
    reported = report(coop, contract, 0, students_served=400)  # 10 seats, enrollment 400

    assert reported.students_served == 400 > reported.seats


def test_a_district_that_joined_the_contract_reports_on_it(coop: Cooperative) -> None:
    contract = coop.signed()  # its solicitation let any district join
    coop.clock.moment = DURING_TERM
    buyer, district = coop.add_district("3000009", "Melville")
    coop.app.join_contract(buyer, contract.id, district.id, 5, contract.offering_ids[0])

    reported = coop.app.report_outcome(buyer, contract.id, district.id, YEAR, details(students_served=40))

    assert reported.seats == 5


def test_a_terminated_contract_can_still_be_reported_on(coop: Cooperative, contract: Contract) -> None:
    coop.app.terminate_contract(coop.lead, contract.id, "The district consolidated its schools.")

    assert report(coop, contract, 2).renewing is True


# Who may report ---------------------------------------------------------------------------------


def test_a_buyer_of_a_district_not_party_to_the_contract_is_refused(
    coop: Cooperative, contract: Contract
) -> None:
    buyer, outsider = coop.add_district("3000009", "Melville")

    with refused(NotAllowed, coop.app):
        coop.app.report_outcome(buyer, contract.id, outsider.id, YEAR, details())


def test_a_buyer_cannot_report_for_another_party_district(coop: Cooperative, contract: Contract) -> None:
    with refused(NotAllowed, coop.app):
        coop.app.report_outcome(coop.buyers[0], contract.id, coop.districts[1].id, YEAR, details())


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.EVALUATOR, Role.AUTHORITY, Role.ADMIN])
def test_no_other_role_reports_outcomes(coop: Cooperative, contract: Contract, role: Role) -> None:
    organization = contract.provider_id if role is Role.PROVIDER else None
    account, _ = coop.app.open_account(None, role, f"A {role.value}", organization)

    with refused(NotAllowed, coop.app):
        coop.app.report_outcome(account, contract.id, coop.districts[0].id, YEAR, details())


# Which contracts --------------------------------------------------------------------------------


def test_a_contract_awaiting_signature_cannot_be_reported_on(coop: Cooperative) -> None:
    unsigned = buy(coop, sign=False)

    with refused(WrongState, coop.app) as info:
        report(coop, unsigned, 0)
    assert "awaiting signature" in info.value.message


def test_a_cancelled_award_cannot_be_reported_on(coop: Cooperative) -> None:
    cancelled = buy(coop, sign=False)
    cancelled.cancel_award(coop.lead, "Awarded to the wrong offering by mistake.")
    coop.app.save(cancelled)
    assert coop.app.get_contract(cancelled.id).status is ContractStatus.CANCELLED

    with refused(WrongState, coop.app):
        report(coop, cancelled, 0)


def test_a_contract_terminated_before_it_was_signed_cannot_be_reported_on(
    coop: Cooperative,
) -> None:
    unsigned = buy(coop, sign=False)
    coop.app.terminate_contract(coop.lead, unsigned.id, "The board withdrew the order.")

    with refused(WrongState, coop.app) as info:
        report(coop, unsigned, 0)
    assert "terminated before it was signed" in info.value.message


def test_a_contract_whose_term_has_not_begun_cannot_be_reported_on(coop: Cooperative) -> None:
    later = buy(coop, term=(date(2027, 1, 1), date(2027, 12, 31)))  # the clock: 2026-09-01

    with refused(WrongState, coop.app) as info:
        report(coop, later, 0)
    assert "term begins on 2027-01-01" in info.value.message

    coop.clock.moment = datetime(2027, 1, 1, 9, tzinfo=timezone.utc)
    assert report(coop, later, 0).school_year == YEAR


def test_a_contract_terminated_before_its_term_began_never_ran(coop: Cooperative) -> None:
    later = buy(coop, term=(date(2027, 1, 1), date(2027, 12, 31)))
    coop.app.terminate_contract(coop.lead, later.id, "The district consolidated its schools.")
    coop.clock.moment = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)

    with refused(WrongState, coop.app) as info:
        report(coop, later, 0)
    assert "terminated on 2026-09-01, before its term began on 2027-01-01" in info.value.message


def test_a_terminated_contract_is_reported_on_for_the_years_it_ran_only(coop: Cooperative) -> None:
    two_years = buy(coop, term=(TERM_START, date(2028, 6, 30)))
    coop.app.terminate_contract(coop.lead, two_years.id, "The district consolidated its schools.")
    coop.clock.moment = datetime(2027, 9, 1, 9, tzinfo=timezone.utc)

    with refused(InvalidValue, coop.app) as info:
        report(coop, two_years, 0, "2027-28")
    assert info.value.fields["school_year"] == [
        "outside the contract's term (2026-07-01 to 2026-09-01, when it was terminated; "
        "its term was to end 2028-06-30)"
    ]
    assert report(coop, two_years, 0, YEAR).school_year == YEAR


# One report per district, contract and school year ----------------------------------------------


def test_a_second_report_for_the_same_year_is_refused_in_favour_of_a_revision(
    coop: Cooperative, contract: Contract
) -> None:
    report(coop, contract, 0)

    with refused(AlreadyExists, coop.app) as info:
        report(coop, contract, 0, students_served=90)
    assert "school_year" in info.value.fields and "revise" in info.value.message


def test_the_same_district_reports_each_school_year_separately(coop: Cooperative) -> None:
    contract = buy(coop)
    coop.clock.moment = datetime(2027, 9, 1, tzinfo=timezone.utc)
    coop.app.renew_contract(coop.lead, contract.id, date(2028, 6, 30), "Second year, as planned.")

    first, second = report(coop, contract, 0, "2026-27"), report(coop, contract, 0, "2027-28")

    assert first.id != second.id


def test_a_revision_corrects_the_report_and_keeps_the_first_version_in_history(
    coop: Cooperative, contract: Contract
) -> None:
    reported = report(coop, contract, 0)

    coop.app.revise_outcome_report(
        coop.buyers[0], reported.id, {"students_served": 112, "satisfaction": None}, "Recounted rosters."
    )

    revised = coop.app.get_outcome_report(reported.id)
    assert (revised.students_served, revised.satisfaction, revised.version) == (112, None, 2)
    first, correction = stored_events(coop.app, reported.id)
    assert isinstance(first, OutcomeReported) and first.students_served == 120
    assert isinstance(correction, OutcomeReportRevised)
    assert correction.changes == {"students_served": 112, "satisfaction": None}
    assert correction.reason == "Recounted rosters."
    assert coop.app.get_outcome_report(reported.id, version=1).students_served == 120


def test_only_the_reporting_districts_buyer_revises_its_report(coop: Cooperative, contract: Contract) -> None:
    reported = report(coop, contract, 0)

    with refused(NotAllowed, coop.app):
        coop.app.revise_outcome_report(coop.buyers[1], reported.id, {"students_served": 1}, "Not mine.")


@pytest.mark.parametrize(
    "changes, reason, field",
    [
        ({"students_served": 120}, "Same again.", "changes"),
        ({"students_served": 100}, "  ", "reason"),
        ({"school_year": "2027-28"}, "Wrong year.", "school_year"),
        ({"students_served": -1}, "Typo.", "students_served"),
    ],
)
def test_a_revision_that_changes_nothing_or_breaks_a_rule_is_refused(
    coop: Cooperative, contract: Contract, changes: dict[str, Any], reason: str, field: str
) -> None:
    reported = report(coop, contract, 0)

    with refused(InvalidValue, coop.app) as info:
        coop.app.revise_outcome_report(coop.buyers[0], reported.id, changes, reason)
    assert field in info.value.fields


# The report's values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "school_year", ["2026", "2026-28", "26-27", "2026/27", "2026-2027", "", "1999-00", "9999-00"]
)
def test_a_malformed_school_year_is_refused(coop: Cooperative, contract: Contract, school_year: str) -> None:
    with refused(InvalidValue, coop.app) as info:
        report(coop, contract, 0, school_year)
    assert "school_year" in info.value.fields


def test_a_school_year_outside_the_contracts_term_is_refused(coop: Cooperative, contract: Contract) -> None:
    with refused(InvalidValue, coop.app) as info:
        report(coop, contract, 0, "2025-26")
    assert "outside the contract's term" in info.value.fields["school_year"][0]


def test_a_school_year_that_has_not_begun_is_refused(coop: Cooperative, contract: Contract) -> None:
    coop.clock.moment = datetime(2026, 6, 30, 12, tzinfo=timezone.utc)

    with refused(InvalidValue, coop.app) as info:
        report(coop, contract, 0)
    assert "has not begun" in info.value.fields["school_year"][0]


def test_a_result_is_recorded_written_out_in_full_within_its_bounds(
    coop: Cooperative, contract: Contract
) -> None:
    given = [
        ReportedResult("Reading", Decimal("1E+3"), Decimal("-1000000000"), "State test"),
        ReportedResult("Math", None, Decimal("38.1234"), "State test"),
    ]
    reported = report(coop, contract, 0, results=given)
    assert [(str(r.baseline), str(r.result)) for r in reported.results] == [
        ("1000", "-1000000000"),
        ("None", "38.1234"),
    ]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"students_served": -1}, "students_served"),
        ({"students_served": 401}, "students_served"),
        ({"students_served": True}, "students_served"),
        ({"satisfaction": 0}, "satisfaction"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"renewing": None}, "renewing"),
        ({"usage": Usage(average_minutes_per_week=-5)}, "usage.average_minutes_per_week"),
        ({"usage": Usage(average_minutes_per_week=10081)}, "usage.average_minutes_per_week"),
        ({"usage": Usage(sessions=-1)}, "usage.sessions"),
        ({"usage": Usage(sessions=MAX_SESSIONS + 1)}, "usage.sessions"),
        ({"usage": Usage(sessions=10**25)}, "usage.sessions"),
        ({"results": [ReportedResult(" ", None, Decimal(1), "State test")]}, "results.0.measure"),
        ({"results": [ReportedResult("Reading", None, Decimal(1), "")]}, "results.0.method"),
        ({"results": [ReportedResult("Reading", None, Decimal("NaN"), "Test")]}, "results.0.result"),
        ({"results": [ReportedResult("Reading", Decimal("Infinity"), Decimal(1), "Test")]}, "results.0.baseline"),
        ({"results": [ReportedResult("Reading", None, Decimal("1e999999"), "Test")]}, "results.0.result"),
        ({"results": [ReportedResult("Reading", Decimal("-1000000000.1"), Decimal(1), "Test")]}, "results.0.baseline"),
        ({"results": [ReportedResult("Reading", None, Decimal("38.12345"), "Test")]}, "results.0.result"),
        (
            {"results": [ReportedResult("Reading", None, Decimal(1), "A"), ReportedResult("reading", None, Decimal(2), "B")]},
            "results.1.measure",
        ),
        ({"offering_ids": []}, "offering_ids"),
        ({"offering_ids": [uuid4()]}, "offering_ids.0"),
        ({"school_year": YEAR}, "school_year"),
    ],
)
def test_a_value_that_breaks_a_rule_is_refused_naming_its_field(
    coop: Cooperative, contract: Contract, overrides: dict[str, Any], field: str
) -> None:
    with refused(InvalidValue, coop.app) as info:
        report(coop, contract, 0, **overrides)
    assert field in info.value.fields, info.value.fields


def test_the_report_names_the_contract_offerings_it_used(coop: Cooperative) -> None:
    _, second = coop.add_provider("84-7000007", "Two Offerings", per_student("40.00"))
    contract = buy(coop)

    with refused(InvalidValue, coop.app):
        report(coop, contract, 0, offering_ids=[second.id])
    assert report(coop, contract, 0, offering_ids=[contract.offering_ids[0]]).offering_ids == contract.offering_ids


# Status and the stored contract ------------------------------------------------------------------


def test_rural_and_small_status_derive_from_the_districts_locale_and_attendance(coop: Cooperative) -> None:
    _, suburb = coop.add_district("3000010", "Suburb", locale_code=21, enrollment=4000, average_daily_attendance=3600)
    coop.app.add_consortium_member(coop.buyers[-1], coop.consortium_id, suburb.id)
    contract = coop.app.direct_purchase(
        coop.lead,
        coop.offerings[0].id,
        [Seats(suburb.id, 10)],
        coop.consortium_id,
        NOTE,
        ContractType.FIXED_UNIT_PRICE,
        TERM_START,
        TERM_END,
    )
    coop.app.sign_contract(coop.providers[0], contract.id, "Dana Reyes, CEO")
    coop.clock.moment = DURING_TERM

    reported = coop.app.report_outcome(coop.buyers[-1], contract.id, suburb.id, YEAR, details())

    assert not reported.rural and not reported.small


@pytest.mark.parametrize("event_class", [OutcomeReported, OutcomeReportRevised], ids=lambda c: c.__name__)
def test_outcome_events_have_stable_topics(event_class: type) -> None:
    topic = event_class.__dict__["TOPIC"]

    assert topic.startswith("marketplace.OutcomeReport.") and resolve_topic(topic) is event_class
    assert resolve_topic(OutcomeReport.TOPIC) is OutcomeReport


@pytest.mark.parametrize(
    "day, label", [(date(2026, 7, 1), "2026-27"), (date(2027, 6, 30), "2026-27"), (date(1999, 12, 31), "1999-00")]
)
def test_a_school_year_runs_from_july_to_june(day: date, label: str) -> None:
    year = SchoolYear.containing(day)

    assert year.label == label and year.first_day <= day <= year.last_day
