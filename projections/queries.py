"""Query functions the GET views use; they read only read-model tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Sequence
from uuid import UUID

from sqlalchemy import Connection, func, or_, select

from events.plain import iso_utc
from projections.tables import event_history, offerings, providers
from projections.trust_queries import designation_label


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int


def _page(conn: Connection, query: Any, page: int, per_page: int) -> tuple[Sequence[Any], int]:
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = conn.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return rows, int(total)


def offering_document(conn: Connection, offering_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(offerings.c.document).where(offerings.c.id == offering_id)).first()
    return None if row is None else dict(row.document)


def provider_offerings(
    conn: Connection,
    provider_id: UUID,
    include_drafts: bool,
    status: str | None,
    page: int,
    per_page: int,
    today: date,
) -> Page:
    """The provider's offerings, each designation a label with its status on ``today``, as the
    catalog and the offering itself show them."""
    query = select(offerings.c.document).where(offerings.c.provider_id == provider_id)
    if not include_drafts:
        query = query.where(offerings.c.status != "draft")
    if status is not None:
        query = query.where(offerings.c.status == status)
    query = query.order_by(offerings.c.updated_at.desc(), offerings.c.id)
    rows, total = _page(conn, query, page, per_page)
    items = []
    for row in rows:
        document = dict(row.document)
        labels = document.get("designations") or []
        document["designations"] = [designation_label(label, today) for label in labels]
        items.append(document)
    return Page(items, total, page, per_page)


def provider_row(conn: Connection, provider_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(providers).where(providers.c.id == provider_id)).first()
    return None if row is None else _provider(row)


def list_providers(conn: Connection, q: str | None, page: int, per_page: int) -> Page:
    query = select(providers)
    if q:
        # Lowercased as Python does on both databases (SQLite's lower() knows ASCII only), and
        # matched as written: % and _ are the caller's characters, not wildcards.
        lower = func.unicode_lower if conn.dialect.name == "sqlite" else func.lower
        words = q.strip().lower()
        query = query.where(
            or_(
                lower(providers.c.legal_name).contains(words, autoescape=True),
                lower(providers.c.identifier_id).contains(words, autoescape=True),
            )
        )
    query = query.order_by(providers.c.legal_name, providers.c.id)
    rows, total = _page(conn, query, page, per_page)
    return Page([_provider(r) for r in rows], total, page, per_page)


def _provider(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "legal_name": row.legal_name,
        "identifier": {"scheme": row.identifier_scheme, "id": row.identifier_id},
        "website": row.website,
        "contact": row.contact,
        "registered_at": iso_utc(row.registered_at),
        "version": row.version,
    }


def history(conn: Connection, aggregate_id: UUID, page: int, per_page: int) -> Page:
    query = (
        select(event_history)
        .where(event_history.c.aggregate_id == aggregate_id)
        .order_by(event_history.c.version)
    )
    rows, total = _page(conn, query, page, per_page)
    items = [
        {
            "version": r.version,
            "type": r.event_type,
            "at": iso_utc(r.occurred_at),
            "actor": r.actor,
            "position": r.position,
            "changes": r.changes,
        }
        for r in rows
    ]
    return Page(items, total, page, per_page)
