"""Query functions over the procurement read model, for GET views and the deadline scheduler.

Each returns plain JSON-ready values: ids as strings, money as decimal strings ("1250.00"),
datetimes as ISO 8601 in UTC, dates as ISO dates. The public board and pipeline never read
``proposal_index``: proposals are sealed until the deadline (PRODUCT rule 3).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, func, select

from events.plain import iso_utc
from projections.procurement import utc
from projections.queries import Page, _page
from projections.tables import (
    consortia,
    consortium_members,
    contract_parties,
    contracts,
    districts,
    proposal_index,
    providers,
    solicitations,
)


def money(amount_cents: int | None) -> str | None:
    return None if amount_cents is None else str(Decimal(amount_cents).scaleb(-2))


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# Districts ------------------------------------------------------------------------------------


def _district(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "nces_id": row.nces_id,
        "name": row.name,
        "state": row.state,
        "locale_code": row.locale_code,
        "enrollment": row.enrollment,
        "average_daily_attendance": row.average_daily_attendance,
        "rural": bool(row.rural),
        "small": bool(row.small),
        "registered_at": iso_utc(row.registered_at),
        "version": row.version,
    }


def list_districts(
    conn: Connection,
    state: str | None,
    rural: bool | None,
    small: bool | None,
    page: int,
    per_page: int,
) -> Page:
    query = select(districts)
    if state is not None:
        query = query.where(districts.c.state == state.upper())
    if rural is not None:
        query = query.where(districts.c.rural == rural)
    if small is not None:
        query = query.where(districts.c.small == small)
    query = query.order_by(districts.c.state, districts.c.name, districts.c.id)
    rows, total = _page(conn, query, page, per_page)
    return Page([_district(r) for r in rows], total, page, per_page)


def district(conn: Connection, district_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(districts).where(districts.c.id == district_id)).first()
    return None if row is None else _district(row)


# Consortia ------------------------------------------------------------------------------------


def consortium(conn: Connection, consortium_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(consortia).where(consortia.c.id == consortium_id)).first()
    if row is None:
        return None
    members = conn.execute(
        select(districts, consortium_members.c.joined_at)
        .join(consortium_members, consortium_members.c.district_id == districts.c.id)
        .where(consortium_members.c.consortium_id == consortium_id)
        .order_by(districts.c.name, districts.c.id)
    ).all()
    return {
        "id": str(row.id),
        "name": row.name,
        "lead_district_id": str(row.lead_district_id),
        "formed_at": iso_utc(row.formed_at),
        "local_thresholds": list(row.local_thresholds),
        "version": row.version,
        "members": [
            {
                "id": str(m.id),
                "name": m.name,
                "state": m.state,
                "rural": bool(m.rural),
                "small": bool(m.small),
                "enrollment": m.enrollment,
                "average_daily_attendance": m.average_daily_attendance,
                "joined_at": iso_utc(m.joined_at),
            }
            for m in members
        ],
        "totals": {
            "members": len(members),
            "enrollment": sum(m.enrollment for m in members),
            "average_daily_attendance": sum(m.average_daily_attendance for m in members),
            "rural_members": sum(1 for m in members if m.rural),
            "small_members": sum(1 for m in members if m.small),
        },
    }


def list_consortia(conn: Connection, district_id: UUID | None, page: int, per_page: int) -> Page:
    member_count = (
        select(func.count())
        .where(consortium_members.c.consortium_id == consortia.c.id)
        .scalar_subquery()
    )
    query = select(
        consortia.c.id,
        consortia.c.name,
        consortia.c.lead_district_id,
        member_count.label("members"),
    )
    if district_id is not None:
        query = query.where(
            consortia.c.id.in_(
                select(consortium_members.c.consortium_id).where(
                    consortium_members.c.district_id == district_id
                )
            )
        )
    query = query.order_by(consortia.c.name, consortia.c.id)
    rows, total = _page(conn, query, page, per_page)
    items = [
        {
            "id": str(r.id),
            "name": r.name,
            "lead_district_id": str(r.lead_district_id),
            "members": int(r.members),
        }
        for r in rows
    ]
    return Page(items, total, page, per_page)


# Solicitations --------------------------------------------------------------------------------


def open_solicitations(conn: Connection, now: datetime, page: int, per_page: int) -> Page:
    """The public board: published and still taking proposals, soonest deadline first."""
    query = (
        select(solicitations, consortia.c.name.label("consortium_name"))
        .join(consortia, consortia.c.id == solicitations.c.consortium_id)
        .where(solicitations.c.status == "published", solicitations.c.proposals_due > utc(now))
        .order_by(solicitations.c.proposals_due, solicitations.c.id)
    )
    rows, total = _page(conn, query, page, per_page)
    items = [
        {
            "id": str(r.id),
            "consortium": {"id": str(r.consortium_id), "name": r.consortium_name},
            "title": r.title,
            "method": r.method,
            "estimated_value": money(r.estimated_value_cents),
            "questions_due": iso_utc(r.questions_due),
            "proposals_due": iso_utc(r.proposals_due),
            "published_at": iso_utc(r.published_at),
            "amendments": r.amendments,
            "question_count": r.question_count,
        }
        for r in rows
    ]
    return Page(items, total, page, per_page)


def consortium_pipeline(
    conn: Connection, consortium_id: UUID, include_drafts: bool, page: int, per_page: int
) -> Page:
    """Every solicitation of the consortium, newest first; drafts only if asked (its lead)."""
    awarded = contracts.alias("awarded")
    query = (
        select(solicitations, awarded.c.id.label("contract_id"))
        .outerjoin(
            awarded,
            and_(
                awarded.c.solicitation_id == solicitations.c.id,
                awarded.c.status != "cancelled",
                solicitations.c.status == "awarded",
            ),
        )
        .where(solicitations.c.consortium_id == consortium_id)
        .order_by(solicitations.c.drafted_at.desc(), solicitations.c.id)
    )
    if not include_drafts:
        query = query.where(solicitations.c.status != "draft")
    rows, total = _page(conn, query, page, per_page)
    items = [
        {
            "id": str(r.id),
            "title": r.title,
            "status": r.status,
            "method": r.method,
            "estimated_value": money(r.estimated_value_cents),
            "questions_due": iso_utc(r.questions_due),
            "proposals_due": iso_utc(r.proposals_due),
            "drafted_at": iso_utc(r.drafted_at),
            "published_at": iso_utc(r.published_at),
            "closed_at": iso_utc(r.closed_at),
            "amendments": r.amendments,
            "question_count": r.question_count,
            "updated_at": iso_utc(r.updated_at),
            "version": r.version,
            "contract_id": _id(r.contract_id),
        }
        for r in rows
    ]
    return Page(items, total, page, per_page)


def due_for_closing(conn: Connection, now: datetime) -> list[UUID]:
    """Published solicitations whose deadline has passed: the scheduler closes them."""
    return list(
        conn.execute(
            select(solicitations.c.id)
            .where(solicitations.c.status == "published", solicitations.c.proposals_due <= utc(now))
            .order_by(solicitations.c.proposals_due, solicitations.c.id)
        ).scalars()
    )


# Proposals (internal: the scheduler, and a provider's own list) -------------------------------


def active_proposal_ids(conn: Connection, solicitation_id: UUID) -> list[UUID]:
    return list(
        conn.execute(
            select(proposal_index.c.id)
            .where(
                proposal_index.c.solicitation_id == solicitation_id,
                proposal_index.c.status == "submitted",
            )
            .order_by(proposal_index.c.id)
        ).scalars()
    )


def provider_proposals(conn: Connection, provider_id: UUID, page: int, per_page: int) -> Page:
    query = (
        select(
            proposal_index,
            solicitations.c.title.label("solicitation_title"),
            solicitations.c.status.label("solicitation_status"),
            solicitations.c.proposals_due,
        )
        .join(solicitations, solicitations.c.id == proposal_index.c.solicitation_id)
        .where(proposal_index.c.provider_id == provider_id)
        .order_by(proposal_index.c.submitted_at.desc(), proposal_index.c.id)
    )
    rows, total = _page(conn, query, page, per_page)
    items = [
        {
            "id": str(r.id),
            "solicitation_id": str(r.solicitation_id),
            "solicitation_title": r.solicitation_title,
            "solicitation_status": r.solicitation_status,
            "proposals_due": iso_utc(r.proposals_due),
            "status": r.status,
            "submitted_at": iso_utc(r.submitted_at),
            "updated_at": iso_utc(r.updated_at),
        }
        for r in rows
    ]
    return Page(items, total, page, per_page)


# Contracts ------------------------------------------------------------------------------------


def contracts_register(
    conn: Connection,
    consortium_id: UUID | None,
    district_id: UUID | None,
    provider_id: UUID | None,
    status: str | None,
    page: int,
    per_page: int,
) -> Page:
    """Awarded contracts, newest award first; ``district_id`` selects those it is party to."""
    query = select(contracts, providers.c.legal_name.label("provider_name")).outerjoin(
        providers, providers.c.id == contracts.c.provider_id
    )
    if consortium_id is not None:
        query = query.where(contracts.c.consortium_id == consortium_id)
    if district_id is not None:
        party_to = select(contract_parties.c.contract_id).where(
            contract_parties.c.district_id == district_id
        )
        query = query.where(contracts.c.id.in_(party_to))
    if provider_id is not None:
        query = query.where(contracts.c.provider_id == provider_id)
    if status is not None:
        query = query.where(contracts.c.status == status)
    query = query.order_by(contracts.c.awarded_at.desc(), contracts.c.id)
    rows, total = _page(conn, query, page, per_page)
    parties = _parties(conn, [r.id for r in rows])
    items = [
        {
            "id": str(r.id),
            "solicitation_id": _id(r.solicitation_id),
            "consortium_id": _id(r.consortium_id),
            "lead_district_id": str(r.lead_district_id),
            "provider": {"id": str(r.provider_id), "name": r.provider_name},
            "method": r.method,
            "contract_type": r.contract_type,
            "status": r.status,
            "list_unit_price": money(r.list_unit_price_cents),
            "unit_price": money(r.unit_price_cents),
            "total_value": money(r.total_value_cents),
            "term_start": _day(r.term_start),
            "term_end": _day(r.term_end),
            "awarded_at": iso_utc(r.awarded_at),
            "signed_at": iso_utc(r.signed_at),
            "version": r.version,
            "parties": parties.get(r.id, []),
        }
        for r in rows
    ]
    return Page(items, total, page, per_page)


def _parties(conn: Connection, contract_ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    if not contract_ids:
        return {}
    rows = conn.execute(
        select(contract_parties, districts.c.name)
        .join(districts, districts.c.id == contract_parties.c.district_id)
        .where(contract_parties.c.contract_id.in_(contract_ids))
        .order_by(contract_parties.c.joined_at, districts.c.name, contract_parties.c.district_id)
    ).all()
    found: dict[UUID, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r.contract_id, []).append(
            {
                "district_id": str(r.district_id),
                "name": r.name,
                "seats": r.seats,
                "amount": money(r.amount_cents),
                "joined_at": iso_utc(r.joined_at),
            }
        )
    return found
