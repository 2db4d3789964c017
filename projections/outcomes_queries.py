"""Annual report cards, computed when asked from the outcome reports and contract facts.

A card is per offering and school year. Every figure comes with its ``n``; when fewer than
``SMALL_SAMPLE_BELOW`` districts report, the card says so (``small_sample``) and still shows every
figure: small and rural districts are the point of the marketplace, and hiding their reports would
hide the only outcome data early models have. Results are listed by measure, never averaged
across measures or districts. The evidence tier is the provider's claim from the catalog, shown
beside the outcomes, not mixed into them; so are the offering's designations (informational
labels, PRODUCT rule 10), each with its status on the day, never part of any figure.

Queries may read several read models: ``outcome_reports`` (outcomes), ``offerings`` (catalog),
``contracts``, ``contract_parties`` and ``districts`` (procurement).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Iterable
from uuid import UUID

from sqlalchemy import Connection, select

from events.plain import iso_utc
from marketplace.domain.outcomes import SchoolYear
from projections.queries import Page
from projections.trust_queries import designation_label
from projections.tables import (
    contract_offerings,
    contract_parties,
    contracts,
    districts,
    offerings,
    outcome_reports,
)

SMALL_SAMPLE_BELOW = 5
RAN = ("active", "terminated")  # contracts that served districts; never awaiting or cancelled
SERVED_BASIS = (
    "districts party to the active or terminated contracts for this offering whose term overlaps "
    "the school year, whether they reported or not"
)


@dataclass(frozen=True)
class _Offering:
    id: UUID
    document: dict[str, Any] | None

    @property
    def provider_id(self) -> UUID | None:
        return UUID(self.document["provider"]["id"]) if self.document else None

    @property
    def title(self) -> str | None:
        return self.document["title"] if self.document else None


def report_cards(
    conn: Connection, school_year: str | None, page: int, per_page: int, today: date
) -> Page:
    """One card per offering and school year with at least one report; newest year first."""
    query = select(outcome_reports.c.offering_ids, outcome_reports.c.school_year)
    if school_year is not None:
        query = query.where(outcome_reports.c.school_year == school_year)
    keys = {(UUID(o), row.school_year) for row in conn.execute(query) for o in row.offering_ids}
    found = _offerings(conn, {offering_id for offering_id, _ in keys})
    ordered = sorted(
        keys,
        key=lambda k: (-int(k[1][:4]), (found[k[0]].title or "").casefold(), str(k[0])),
    )
    start = (page - 1) * per_page
    chosen = ordered[start : start + per_page]
    items = [_card(conn, found[o], year, today) for o, year in chosen]
    return Page(items, len(ordered), page, per_page)


def report_card(
    conn: Connection, offering_id: UUID, school_year: str | None, today: date
) -> dict[str, Any] | None:
    """The offering's card for the year (default: its latest year with reports, else the current
    school year), even with no reports: an empty card says so with n = 0. None: no such offering
    in the public catalog."""
    offering = _offerings(conn, {offering_id})[offering_id]
    if offering.document is None or offering.document.get("status") == "draft":
        return None
    years = years_reported(conn, offering)
    if school_year is None:
        school_year = years[0] if years else SchoolYear.containing(today).label
    return {**_card(conn, offering, school_year, today), "years_reported": years}


def years_reported(conn: Connection, offering: _Offering) -> list[str]:
    rows = conn.execute(
        select(outcome_reports.c.school_year, outcome_reports.c.offering_ids).where(
            outcome_reports.c.provider_id == offering.provider_id
        )
    )
    years = {r.school_year for r in rows if str(offering.id) in r.offering_ids}
    return sorted(years, reverse=True)


# One card ---------------------------------------------------------------------------------------


def _card(
    conn: Connection, offering: _Offering, school_year: str, today: date
) -> dict[str, Any]:
    reports = _reports(conn, offering, school_year)
    names = _district_names(conn, {r.district_id for r in reports})
    reports.sort(key=lambda r: ((names.get(r.district_id) or "").casefold(), str(r.district_id)))
    served = _served(conn, offering, SchoolYear.parse(school_year), reports)
    n = len(reports)
    rural = sum(1 for r in reports if r.rural)
    document = offering.document or {}
    provider = document.get("provider") or {}
    return {
        "offering": {
            "id": str(offering.id),
            "title": offering.title,
            "status": document.get("status"),
            "provider": {"id": provider.get("id"), "name": provider.get("name")},
        },
        "school_year": school_year,
        "n": n,
        "small_sample": n < SMALL_SAMPLE_BELOW,
        "claimed_evidence": _evidence(document.get("evidence")),
        "designations": [
            designation_label(label, today) for label in document.get("designations") or []
        ],
        "districts_reporting": {
            "n": n,
            "rural": rural,
            "small": sum(1 for r in reports if r.small),
        },
        "districts_served": served,
        "rural_share": {
            "reporting": _share(n, rural=rural),
            "served": _share(served["n"], rural=served["rural"]),
        },
        "renewals": _share(n, renewing=sum(1 for r in reports if r.renewing)),
        "students_served": {
            "n": n,
            "total": sum(r.students_served for r in reports),
            "seats": sum(int(r.implementation["seats"]) for r in reports),
        },
        "satisfaction": _satisfaction(reports),
        "results": _results(reports, names),
        "reports": [_report(r, names) for r in reports],
    }


def _reports(conn: Connection, offering: _Offering, school_year: str) -> list[Any]:
    query = select(outcome_reports).where(outcome_reports.c.school_year == school_year)
    if offering.provider_id is not None:
        query = query.where(outcome_reports.c.provider_id == offering.provider_id)
    return [r for r in conn.execute(query) if str(offering.id) in r.offering_ids]


def _served(
    conn: Connection, offering: _Offering, year: SchoolYear, reports: list[Any]
) -> dict[str, Any]:
    """Districts served by the offering's contracts that ran during the year (the procurement read
    model links each contract to its offerings), and every district that reported on it."""
    contract_ids = set(
        conn.execute(
            select(contract_offerings.c.contract_id).where(contract_offerings.c.offering_id == offering.id)
        ).scalars()
    )
    ran: list[UUID] = []
    if contract_ids:
        ran = list(
            conn.execute(
                select(contracts.c.id).where(
                    contracts.c.id.in_(contract_ids),
                    contracts.c.status.in_(RAN),
                    contracts.c.term_start <= year.last_day,
                    contracts.c.term_end >= year.first_day,
                )
            ).scalars()
        )
    status: dict[UUID, tuple[bool, bool]] = {r.district_id: (bool(r.rural), bool(r.small)) for r in reports}
    if ran:
        year_end = datetime.combine(year.last_day, time.max, tzinfo=timezone.utc)
        parties = conn.execute(
            select(contract_parties.c.district_id, districts.c.rural, districts.c.small)
            .join(districts, districts.c.id == contract_parties.c.district_id)
            .where(contract_parties.c.contract_id.in_(ran), contract_parties.c.joined_at <= year_end)
        )
        for party in parties:
            status.setdefault(party.district_id, (bool(party.rural), bool(party.small)))
    return {
        "n": len(status),
        "rural": sum(1 for rural, _ in status.values() if rural),
        "small": sum(1 for _, small in status.values() if small),
        "contracts": len(set(ran) | {r.contract_id for r in reports}),
        "basis": SERVED_BASIS,
    }


def _share(n: int, **counted: int) -> dict[str, Any]:
    ((name, count),) = counted.items()
    return {"n": n, name: count, "ratio": round(count / n, 4) if n else None}


def _evidence(evidence: dict[str, Any] | None) -> dict[str, Any] | None:
    if not evidence:
        return None
    return {
        "tier": evidence["tier"],
        "study_url": evidence["study_url"],
        "study_date": evidence["study_date"],
        "study_title": evidence.get("study_title"),
    }


def _satisfaction(reports: list[Any]) -> dict[str, Any]:
    given = [r.satisfaction for r in reports if r.satisfaction is not None]
    return {
        "n": len(given),
        "not_reported": len(reports) - len(given),
        "distribution": {str(level): given.count(level) for level in range(1, 6)},
    }


def _results(reports: list[Any], names: dict[UUID, str | None]) -> dict[str, Any]:
    """Every reported result, grouped by measure (as written, ignoring case), never averaged;
    within a measure, in the reports' order (by district name)."""
    by_measure: dict[str, dict[str, Any]] = {}
    for report in reports:
        for entry in report.results:
            group = by_measure.setdefault(
                entry["measure"].casefold(), {"measure": entry["measure"], "items": []}
            )
            group["items"].append(
                {
                    "report_id": str(report.id),
                    "district": _district(report, names),
                    "baseline": entry["baseline"],
                    "result": entry["result"],
                    "change": _change(entry["baseline"], entry["result"]),
                    "method": entry["method"],
                }
            )
    measures = [
        {"measure": g["measure"], "n": len(g["items"]), "items": g["items"]}
        for _, g in sorted(by_measure.items())
    ]
    return {
        "n": sum(m["n"] for m in measures),
        "districts": len({r.district_id for r in reports if r.results}),
        "measures": measures,
    }


def _change(baseline: str | None, result: str) -> str | None:
    return None if baseline is None else str(Decimal(result) - Decimal(baseline))


def _report(row: Any, names: dict[UUID, str | None]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "contract_id": str(row.contract_id),
        "district": _district(row, names),
        "seats": row.implementation["seats"],
        "students_served": row.students_served,
        "usage": row.implementation.get("usage"),
        "satisfaction": row.satisfaction,
        "renewing": bool(row.renewing),
        "results": len(row.results),
        "reported_at": iso_utc(row.reported_at),
        "version": row.version,
    }


def _district(row: Any, names: dict[UUID, str | None]) -> dict[str, Any]:
    return {
        "id": str(row.district_id),
        "name": names.get(row.district_id),
        "rural": bool(row.rural),
        "small": bool(row.small),
    }


def _district_names(conn: Connection, district_ids: set[UUID]) -> dict[UUID, str | None]:
    if not district_ids:
        return {}
    rows = conn.execute(select(districts.c.id, districts.c.name).where(districts.c.id.in_(district_ids)))
    return {r.id: r.name for r in rows}


def _offerings(conn: Connection, offering_ids: Iterable[UUID]) -> dict[UUID, _Offering]:
    wanted = set(offering_ids)
    found: dict[UUID, dict[str, Any]] = {}
    if wanted:
        rows = conn.execute(select(offerings.c.id, offerings.c.document).where(offerings.c.id.in_(wanted)))
        found = {r.id: dict(r.document) for r in rows}
    return {o: _Offering(o, found.get(o)) for o in wanted}
