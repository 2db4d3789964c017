"""Query functions for trust signals: designations (labels) and providers' data privacy agreements.

They read only the catalog projection's tables. What is true on a day (a designation active, an
agreement in force) is decided here from the recorded dates, with the domain's own rule, so a
label expires and an agreement lapses without any event being needed.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable
from uuid import UUID

from sqlalchemy import Connection, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from events.plain import iso_utc
from marketplace.domain.designations import designation_status
from projections.tables import offering_designations, provider_privacy_agreements

_designations = offering_designations
_agreements = provider_privacy_agreements


def active_designation(today: date) -> ColumnElement[bool]:
    """Rows of ``offering_designations`` active on the day: not revoked, within their dates."""
    return and_(
        _designations.c.revoked_at.is_(None),
        _designations.c.valid_from <= today,
        or_(_designations.c.valid_until.is_(None), _designations.c.valid_until >= today),
    )


def in_force(today: date) -> ColumnElement[bool]:
    """Rows of ``provider_privacy_agreements`` in force on the day (expiry is the last day)."""
    return and_(
        _agreements.c.signed_on <= today,
        or_(_agreements.c.expires_on.is_(None), _agreements.c.expires_on >= today),
    )


# Designations -----------------------------------------------------------------------------------


def designation_label(label: dict[str, Any], today: date) -> dict[str, Any]:
    """A designation as an offering's document holds it, with its status on the day."""
    status = designation_status(
        date.fromisoformat(label["valid_from"]),
        date.fromisoformat(label["valid_until"]) if label.get("valid_until") else None,
        label.get("revoked_at") is not None,
        today,
    )
    return {**label, "status": status.value}


def _designation(row: Any, today: date) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "offering_id": str(row.offering_id),
        "name": row.name,
        "issuer": row.issuer,
        "criteria_url": row.criteria_url,
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "status": designation_status(
            row.valid_from, row.valid_until, row.revoked_at is not None, today
        ).value,
        "issued_at": iso_utc(row.issued_at),
        "revoked_at": iso_utc(row.revoked_at),
        "revocation_reason": row.revocation_reason,
    }


def designation_document(conn: Connection, designation_id: UUID, today: date) -> dict[str, Any] | None:
    row = conn.execute(select(_designations).where(_designations.c.id == designation_id)).first()
    return None if row is None else _designation(row, today)


def designations_of(conn: Connection, offering_id: UUID, today: date) -> list[dict[str, Any]]:
    """An offering's designations, active and revoked alike, in the order they were issued."""
    rows = conn.execute(
        select(_designations)
        .where(_designations.c.offering_id == offering_id)
        .order_by(_designations.c.issued_at, _designations.c.id)
    )
    return [_designation(row, today) for row in rows]


# Data privacy agreements ------------------------------------------------------------------------


def _agreement(row: Any, today: date) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "provider_id": str(row.provider_id),
        "scope": row.scope,
        "state": row.state,
        "district_id": str(row.district_id) if row.district_id else None,
        "kind": row.kind,
        "adopted_from_district_id": (
            str(row.adopted_from_district_id) if row.adopted_from_district_id else None
        ),
        "signed_on": row.signed_on.isoformat(),
        "expires_on": row.expires_on.isoformat() if row.expires_on else None,
        "document_url": row.document_url,
        "in_force": row.signed_on <= today and (row.expires_on is None or today <= row.expires_on),
        "recorded_at": iso_utc(row.recorded_at),
    }


def agreements_of(conn: Connection, provider_id: UUID, today: date) -> list[dict[str, Any]]:
    """A provider's agreements, in force or not, in the order they were recorded."""
    rows = conn.execute(
        select(_agreements)
        .where(_agreements.c.provider_id == provider_id)
        .order_by(_agreements.c.recorded_at, _agreements.c.id)
    )
    return [_agreement(row, today) for row in rows]


def privacy_by_provider(
    conn: Connection, provider_ids: Iterable[str], today: date
) -> dict[str, dict[str, Any]]:
    """For each provider: the states its state agreements in force cover, and how many districts
    its district agreements in force cover."""
    wanted = {UUID(p) for p in provider_ids}
    states: dict[str, set[str]] = {str(p): set() for p in wanted}
    districts: dict[str, set[str]] = {str(p): set() for p in wanted}
    if wanted:
        rows = conn.execute(
            select(_agreements.c.provider_id, _agreements.c.scope, _agreements.c.state, _agreements.c.district_id)
            .where(_agreements.c.provider_id.in_(wanted), in_force(today))
        )
        for row in rows:
            if row.scope == "state":
                states[str(row.provider_id)].add(row.state)
            else:
                districts[str(row.provider_id)].add(str(row.district_id))
    return {p: {"states": sorted(states[p]), "districts": len(districts[p])} for p in states}
