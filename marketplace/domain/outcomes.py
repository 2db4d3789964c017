"""Outcome reports: what a district that used an offering says about one school year with it.

Only a buyer of a district that is party to a contract reports on it, once per school year (the
report's id derives from contract, district and year); a correction is a revision, and the first
report stays in the history. Only a contract that ran can be reported on: signed, with its term
begun (active, or terminated after its term began), and only on school years within the term as
it ran; never one awaiting signature, cancelled, or terminated before it ran. Report cards are
projections of these reports, never of inputs such as claims or designations.

Students served are checked against the district's enrollment, not its seats on the contract:
seats are counted in the contract's price unit (students, teachers, schools or the district), so
they are not always students, and serving more students than were licensed is a fact to report
(the card shows seats beside students served), not a reason to refuse the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any, Iterable
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from events import MarketplaceEvent
from events.outcomes import OutcomeReported, OutcomeReportRevised
from events.types import CostShare, ReportedResult, Role, Usage
from marketplace.domain import validation
from marketplace.domain.accounts import Account
from marketplace.domain.contracts import Contract, ContractStatus
from marketplace.domain.districts import RURAL_LOCALES, SMALL_ADA_LIMIT, District
from marketplace.domain.errors import NotAllowed, WrongState, invalid

_OUTCOME_REPORT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:marketplace:outcome-report")
_SCHOOL_YEAR = re.compile(r"(\d{4})-(\d{2})")
REPORTABLE_STATUSES = (ContractStatus.ACTIVE, ContractStatus.TERMINATED)
MINUTES_IN_A_WEEK = 7 * 24 * 60
MAX_SESSIONS = 1_000_000_000
"""Sessions one district reports for a school year, at most: the largest district in the
country (about a million students) at five sessions a school day for 200 days. A larger count
is a slip of the keyboard, and an auditor reading the report card should never meet it."""
MAX_RESULTS = 20
MAX_SCHOOL_YEAR = 9998
"""The last school year a date can end (9998-99 ends on June 30, 9999)."""
MAX_RESULT = Decimal("1000000000")
RESULT_PLACES = 4
"""A result or its baseline (a share, a scale score, a count) lies within plus or minus a
billion, to at most four decimal places: anything else is a slip of the keyboard, and a report
card should never show it."""
REVISABLE_FIELDS = ("offering_ids", "students_served", "usage", "results", "satisfaction", "renewing")


@dataclass(frozen=True)
class SchoolYear:
    """A school year such as 2026-27, taken as July 1 to June 30 (most districts' fiscal year)."""

    start_year: int

    @classmethod
    def parse(cls, value: str | None, field: str = "school_year") -> SchoolYear:
        text = (value or "").strip()
        match = _SCHOOL_YEAR.fullmatch(text)
        if match is None:
            raise invalid(field, "must be a school year such as 2026-27")
        start, end = int(match.group(1)), int(match.group(2))
        if (start + 1) % 100 != end:
            raise invalid(field, "the two years must be consecutive, such as 2026-27")
        if not 2000 <= start <= MAX_SCHOOL_YEAR:
            raise invalid(field, f"must be from 2000-01 to {cls(MAX_SCHOOL_YEAR).label}")
        return cls(start)

    @classmethod
    def containing(cls, day: date) -> SchoolYear:
        return cls(day.year if day.month >= 7 else day.year - 1)

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def first_day(self) -> date:
        return date(self.start_year, 7, 1)

    @property
    def last_day(self) -> date:
        return date(self.start_year + 1, 6, 30)


class OutcomeReport(Aggregate):
    TOPIC = "marketplace.OutcomeReport"
    Event = MarketplaceEvent
    Created = OutcomeReported

    @staticmethod
    def id_for(contract_id: UUID, district_id: UUID, school_year: str) -> UUID:
        return uuid5(_OUTCOME_REPORT_NAMESPACE, f"{contract_id}:{district_id}:{school_year}")

    @classmethod
    def submit(
        cls,
        by: Account,
        contract: Contract,
        district: District,
        school_year: str,
        details: dict[str, Any],
        today: date,
    ) -> OutcomeReport:
        """``details``: students_served, usage, results, satisfaction, renewing and, optionally,
        offering_ids (the contract's offerings the district used; all of them by default)."""
        _require_reporter(by, district.id)
        share = _party_share(contract, district.id)
        year = SchoolYear.parse(school_year)
        if today < year.first_day:
            raise invalid("school_year", f"{year.label} has not begun; report on a year that has")
        _require_ran(contract, today)
        if year.last_day < contract.term_start or year.first_day > contract.runs_until:
            term = f"{contract.term_start.isoformat()} to {contract.runs_until.isoformat()}"
            if contract.runs_until < contract.term_end:
                term += (
                    f", when it was terminated; its term was to end {contract.term_end.isoformat()}"
                )
            raise invalid("school_year", f"outside the contract's term ({term})")
        unknown = sorted(set(details) - set(REVISABLE_FIELDS))
        if unknown:
            raise invalid(unknown[0], "not a field of an outcome report")
        checked = check_details(contract, district, {"offering_ids": None, **details})
        return cls._create(
            OutcomeReported,
            id=cls.id_for(contract.id, district.id, year.label),
            actor=str(by.id),
            contract_id=contract.id,
            district_id=district.id,
            school_year=year.label,
            provider_id=contract.provider_id,
            seats=share.seats,
            district_locale_code=district.locale_code,
            district_average_daily_attendance=district.average_daily_attendance,
            **checked,
        )

    def revise(
        self,
        by: Account,
        contract: Contract,
        district: District,
        changes: dict[str, Any],
        reason: str,
    ) -> None:
        """Correct the report; only the fields given change, and the reason is kept."""
        _require_reporter(by, self.district_id)
        unknown = sorted(set(changes) - set(REVISABLE_FIELDS))
        if unknown:
            raise invalid(unknown[0], "cannot be revised (the school year is part of the report's identity)")
        reason = validation.required_text("reason", reason, max_length=5000)
        current = {name: getattr(self, name) for name in REVISABLE_FIELDS}
        checked = check_details(contract, district, {**current, **changes})
        revised = {name: value for name, value in checked.items() if value != current[name]}
        if not revised:
            raise invalid("changes", "the revision changes nothing")
        self.trigger_event(OutcomeReportRevised, actor=str(by.id), changes=revised, reason=reason)

    @property
    def rural(self) -> bool:
        return self.district_locale_code in RURAL_LOCALES

    @property
    def small(self) -> bool:
        return self.district_average_daily_attendance < SMALL_ADA_LIMIT

    @singledispatchmethod
    def when(self, event: MarketplaceEvent) -> None:
        raise NotImplementedError(type(event))

    @when.register
    def _(self, event: OutcomeReported) -> None:
        self.contract_id = event.contract_id
        self.district_id = event.district_id
        self.school_year = event.school_year
        self.provider_id = event.provider_id
        self.seats = event.seats
        self.district_locale_code = event.district_locale_code
        self.district_average_daily_attendance = event.district_average_daily_attendance
        self._apply_fields(vars(event))
        self.reported_at = event.timestamp

    @when.register
    def _(self, event: OutcomeReportRevised) -> None:
        self._apply_fields(event.changes)

    def _apply_fields(self, values: dict[str, Any]) -> None:
        # Read back from the store, tuples arrive as lists: hold them as tuples again, so that a
        # reloaded report compares equal to the one that was saved.
        for name in REVISABLE_FIELDS:
            if name in values:
                value = values[name]
                setattr(self, name, tuple(value) if isinstance(value, list) else value)


def _require_ran(contract: Contract, today: date) -> None:
    """Only a contract that ran is reported on: signed (then active or terminated), with its term
    begun by today and, when terminated, begun before its termination."""
    if contract.status not in REPORTABLE_STATUSES or contract.signed_at is None:
        state = contract.status.value.replace("_", " ")
        if contract.status is ContractStatus.TERMINATED:
            state = "terminated before it was signed"
        raise WrongState(
            f"only a contract that ran (signed, then active or terminated) can be reported on; "
            f"this one is {state}"
        )
    begins = contract.term_start.isoformat()
    if contract.terminated_on is not None and contract.terminated_on < contract.term_start:
        raise WrongState(
            f"this contract was terminated on {contract.terminated_on.isoformat()}, before its "
            f"term began on {begins}: it never ran, so it cannot be reported on"
        )
    if today < contract.term_start:
        raise WrongState(f"this contract's term begins on {begins}: report on it once it has run")


def _require_reporter(by: Account, district_id: UUID) -> None:
    by.require_role(Role.BUYER)
    if not by.acts_for(district_id):
        raise NotAllowed("only a buyer of the reporting district can report its outcomes")


def _party_share(contract: Contract, district_id: UUID) -> CostShare:
    for share in contract.allocations:
        if share.district_id == district_id:
            return share
    raise NotAllowed("this district is not party to the contract; only party districts report on it")


def check_details(contract: Contract, district: District, details: dict[str, Any]) -> dict[str, Any]:
    """The report's own fields, checked; each refusal names its field."""
    return {
        "offering_ids": _offering_ids(contract, details.get("offering_ids")),
        "students_served": _students_served(district, details.get("students_served")),
        "usage": _usage(details.get("usage")),
        "results": _results(details.get("results")),
        "satisfaction": _satisfaction(details.get("satisfaction")),
        "renewing": _renewing(details.get("renewing")),
    }


def _offering_ids(contract: Contract, offering_ids: Iterable[UUID] | None) -> tuple[UUID, ...]:
    if offering_ids is None:
        return tuple(contract.offering_ids)
    chosen = tuple(dict.fromkeys(offering_ids))
    if not chosen:
        raise invalid("offering_ids", "name at least one of the contract's offerings, or leave it out for all")
    for index, offering_id in enumerate(chosen):
        if offering_id not in contract.offering_ids:
            raise invalid(f"offering_ids.{index}", "not one of the contract's offerings")
    return chosen


def _students_served(district: District, value: Any) -> int:
    if not _is_int(value):
        raise invalid("students_served", "must be a whole number")
    if value < 0:
        raise invalid("students_served", "must not be negative")
    if value > district.enrollment:
        raise invalid(
            "students_served",
            f"must not exceed the district's enrollment ({district.enrollment})",
        )
    return int(value)


def _usage(usage: Usage | None) -> Usage | None:
    if usage is None:
        return None
    minutes, sessions = usage.average_minutes_per_week, usage.sessions
    if minutes is not None and (not _is_int(minutes) or not 0 <= minutes <= MINUTES_IN_A_WEEK):
        raise invalid("usage.average_minutes_per_week", f"must be a whole number from 0 to {MINUTES_IN_A_WEEK}")
    if sessions is not None and (not _is_int(sessions) or not 0 <= sessions <= MAX_SESSIONS):
        raise invalid("usage.sessions", f"must be a whole number from 0 to {MAX_SESSIONS}")
    notes = validation.text("usage.notes", usage.notes, required=False, max_length=2000)
    if minutes is None and sessions is None and notes is None:
        return None
    return Usage(minutes, sessions, notes)


def _results(results: Iterable[ReportedResult] | None) -> tuple[ReportedResult, ...]:
    # No results is allowed: early models have no outcome data yet, and their implementation,
    # satisfaction and renewal still inform a card.
    given = tuple(results or ())
    if len(given) > MAX_RESULTS:
        raise invalid("results", f"at most {MAX_RESULTS} results per report")
    checked: list[ReportedResult] = []
    seen: set[str] = set()
    for index, entry in enumerate(given):
        measure = validation.required_text(f"results.{index}.measure", entry.measure, max_length=200)
        if measure.casefold() in seen:
            raise invalid(f"results.{index}.measure", "each measure once per report")
        seen.add(measure.casefold())
        for name in ("baseline", "result"):
            value = getattr(entry, name)
            if value is None and name == "baseline":
                continue
            if not isinstance(value, Decimal) or not value.is_finite():
                raise invalid(f"results.{index}.{name}", "must be a number")
            if abs(value) > MAX_RESULT or validation.decimal_places(value) > RESULT_PLACES:
                raise invalid(
                    f"results.{index}.{name}",
                    f"must be from -{MAX_RESULT} to {MAX_RESULT}, "
                    f"with at most {RESULT_PLACES} decimal places",
                )
        method = validation.required_text(f"results.{index}.method", entry.method, max_length=1000)
        baseline = None if entry.baseline is None else validation.written_out(entry.baseline)
        result = validation.written_out(entry.result)
        checked.append(ReportedResult(measure, baseline, result, method))
    return tuple(checked)


def _satisfaction(value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not 1 <= value <= 5:
        raise invalid("satisfaction", "must be a whole number from 1 to 5, or left out")
    return int(value)


def _renewing(value: Any) -> bool:
    if not isinstance(value, bool):
        raise invalid("renewing", "say whether the district renews: true or false")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
