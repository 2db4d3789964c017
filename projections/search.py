"""Portfolio catalog search: published offerings, full text, filters, facets, sorting, paging.

Facets are disjunctive: the counts for one facet apply every filter except that facet's own, so a
buyer who ticks "math" still sees how many offerings "science" would add. Values within a facet
are alternatives (any of), except interoperability, where a buyer needs every standard named.
A designation (when there are some) is never a filter or a sort key unless a caller asks.

Trust signals (PRODUCT rules 10 and 11) sit beside the offering's own attributes: each card shows
its designations as labels (with their status on the day) and its provider's privacy status (the
states its state agreements cover, and how many districts its district agreements cover). The
``designation`` and ``privacy_state`` facets are reported when some offering carries a value, and
they filter only when a caller names them. No designation ever enters relevance or any sort.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, and_, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

import events
from projections.tables import (
    offering_designations,
    offering_grade_bands,
    offering_interoperability,
    offering_subjects,
    offerings,
    provider_privacy_agreements,
)
from projections.trust_queries import active_designation, designation_label, in_force, privacy_by_provider

SORTS = ("relevance", "newest", "price", "price_desc", "title")
FACETS = ("subject", "grade_band", "model_type", "delivery", "interoperability", "evidence_tier", "price_unit")
TRUST_FACETS = ("designation", "privacy_state")
"""Reported only when some offering in the result carries a value; never a default filter."""
MAX_TERMS = 12

_MULTI: dict[str, tuple[Table, str]] = {
    "subject": (offering_subjects, "subject"),
    "grade_band": (offering_grade_bands, "grade_band"),
    "interoperability": (offering_interoperability, "standard"),
}
_SINGLE = {
    "model_type": offerings.c.model_type,
    "delivery": offerings.c.delivery,
    "price_unit": offerings.c.price_unit,
}


@dataclass(frozen=True)
class CatalogQuery:
    q: str | None = None
    subject: tuple[str, ...] = ()
    grade_band: tuple[str, ...] = ()
    model_type: tuple[str, ...] = ()
    delivery: tuple[str, ...] = ()
    interoperability: tuple[str, ...] = ()
    evidence_tier: tuple[str, ...] = ()  # "1".."4" or "none"
    price_unit: tuple[str, ...] = ()
    max_price_cents: int | None = None
    designation: tuple[str, ...] = ()  # any of these active designations, only when asked
    privacy_state: tuple[str, ...] = ()  # any of these states, covered by a state agreement
    sort: str | None = None
    page: int = 1
    per_page: int = 20
    today: date | None = None  # the day designations and agreements are judged on; default today


@dataclass
class CatalogResult:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    sort: str
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def search_terms(q: str | None) -> list[str]:
    return re.findall(r"\w+", (q or "").lower())[:MAX_TERMS]


def _fts5_match(terms: list[str]) -> str:
    # Each term as itself (stemmed by the porter tokenizer) or as a prefix of a longer word.
    return " AND ".join(f'("{t}" OR "{t}"*)' for t in terms)


def _tsquery(terms: list[str]) -> str:
    return " & ".join(f"{t}:*" for t in terms)


class _Search:
    def __init__(self, conn: Connection, query: CatalogQuery):
        self.conn = conn
        self.query = query
        self.dialect = conn.dialect.name
        self.terms = search_terms(query.q)
        self.today = query.today or events.now().date()

    def text_condition(self) -> ColumnElement[bool] | None:
        if not self.terms:
            return None
        if self.dialect == "sqlite":
            matching = text("SELECT rowid FROM offering_search WHERE offering_search MATCH :match")
            return offerings.c.search_key.in_(
                matching.bindparams(match=_fts5_match(self.terms)).columns(
                    literal_column("rowid")
                )
            )
        return literal_column("offerings.search_vector").op("@@")(
            func.to_tsquery("english", _tsquery(self.terms))
        )

    def conditions(self, without: str | None = None) -> list[ColumnElement[bool]]:
        q = self.query
        conditions: list[ColumnElement[bool]] = [offerings.c.status == "published"]
        text_condition = self.text_condition()
        if text_condition is not None:
            conditions.append(text_condition)
        for name, (table, column) in _MULTI.items():
            values = getattr(q, name)
            if not values or name == without:
                continue
            if name == "interoperability":  # every standard named
                for value in values:
                    conditions.append(
                        offerings.c.id.in_(select(table.c.offering_id).where(table.c[column] == value))
                    )
            else:
                conditions.append(
                    offerings.c.id.in_(select(table.c.offering_id).where(table.c[column].in_(values)))
                )
        for name, column in _SINGLE.items():
            values = getattr(q, name)
            if values and name != without:
                conditions.append(column.in_(values))
        if q.evidence_tier and without != "evidence_tier":
            tiers = [int(t) for t in q.evidence_tier if t != "none"]
            options = [offerings.c.evidence_tier.in_(tiers)] if tiers else []
            if "none" in q.evidence_tier:
                options.append(offerings.c.evidence_tier.is_(None))
            conditions.append(options[0] if len(options) == 1 else options[0] | options[1])
        if q.max_price_cents is not None:
            conditions.append(offerings.c.list_price_cents <= q.max_price_cents)
        if q.designation and without != "designation":
            designated = select(offering_designations.c.offering_id).where(
                offering_designations.c.name.in_(q.designation), active_designation(self.today)
            )
            conditions.append(offerings.c.id.in_(designated))
        if q.privacy_state and without != "privacy_state":
            covered = select(provider_privacy_agreements.c.provider_id).where(
                self._state_agreement(), provider_privacy_agreements.c.state.in_(q.privacy_state)
            )
            conditions.append(offerings.c.provider_id.in_(covered))
        return conditions

    def _state_agreement(self) -> ColumnElement[bool]:
        return and_(provider_privacy_agreements.c.scope == "state", in_force(self.today))

    def sort(self) -> str:
        requested = self.query.sort
        if requested == "relevance" and not self.terms:
            return "newest"
        return requested or ("relevance" if self.terms else "newest")

    def items(self, sort: str) -> list[dict[str, Any]]:
        q = self.query
        statement = select(offerings.c.document).where(and_(*self.conditions()))
        if sort == "relevance":
            if self.dialect == "sqlite":
                ranked = (
                    text(
                        "SELECT rowid AS key, bm25(offering_search, 10.0, 4.0, 1.0, 6.0) AS score "
                        "FROM offering_search WHERE offering_search MATCH :match"
                    )
                    .bindparams(match=_fts5_match(self.terms))
                    .columns(literal_column("key"), literal_column("score"))
                    .subquery("ranked")
                )
                statement = statement.join(ranked, ranked.c.key == offerings.c.search_key)
                order: list[Any] = [ranked.c.score.asc(), offerings.c.id]
            else:
                rank = func.ts_rank_cd(
                    literal_column("offerings.search_vector"),
                    func.to_tsquery("english", _tsquery(self.terms)),
                )
                order = [rank.desc(), offerings.c.id]
        elif sort == "price":
            order = [offerings.c.list_price_cents.asc(), offerings.c.id]
        elif sort == "price_desc":
            order = [offerings.c.list_price_cents.desc(), offerings.c.id]
        elif sort == "title":
            order = [offerings.c.title.asc(), offerings.c.id]
        else:
            order = [offerings.c.published_at.desc(), offerings.c.id]
        statement = statement.order_by(*order).limit(q.per_page).offset((q.page - 1) * q.per_page)
        items = []
        for row in self.conn.execute(statement):
            document = dict(row.document)
            document.pop("description", None)  # cards carry the summary; the offering page has it all
            document["designations"] = [
                designation_label(label, self.today) for label in document.get("designations") or []
            ]
            items.append(document)
        privacy = privacy_by_provider(self.conn, {item["provider"]["id"] for item in items}, self.today)
        for item in items:
            item["privacy"] = privacy[item["provider"]["id"]]
        return items

    def total(self) -> int:
        statement = select(func.count()).select_from(offerings).where(and_(*self.conditions()))
        return int(self.conn.execute(statement).scalar_one())

    def facet(self, name: str) -> list[dict[str, Any]]:
        where = and_(*self.conditions(without=name))
        if name == "designation":
            labels = offering_designations
            statement = (
                select(labels.c.name.label("value"), func.count(labels.c.offering_id.distinct()).label("count"))
                .select_from(labels.join(offerings, offerings.c.id == labels.c.offering_id))
                .where(where, active_designation(self.today))
                .group_by(labels.c.name)
            )
        elif name == "privacy_state":
            agreements = provider_privacy_agreements
            statement = (
                select(agreements.c.state.label("value"), func.count(offerings.c.id.distinct()).label("count"))
                .select_from(agreements.join(offerings, offerings.c.provider_id == agreements.c.provider_id))
                .where(where, self._state_agreement())
                .group_by(agreements.c.state)
            )
        elif name in _MULTI:
            table, column = _MULTI[name]
            value = table.c[column]
            statement = (
                select(value.label("value"), func.count().label("count"))
                .select_from(table.join(offerings, offerings.c.id == table.c.offering_id))
                .where(where)
                .group_by(value)
            )
        elif name == "evidence_tier":
            statement = (
                select(offerings.c.evidence_tier.label("value"), func.count().label("count"))
                .where(where)
                .group_by(offerings.c.evidence_tier)
            )
        else:
            column = _SINGLE[name]
            statement = (
                select(column.label("value"), func.count().label("count"))
                .where(where)
                .where(column.is_not(None))
                .group_by(column)
            )
        counts = [
            {"value": "none" if r.value is None else str(r.value), "count": int(r.count)}
            for r in self.conn.execute(statement)
        ]
        return sorted(counts, key=lambda c: (-c["count"], c["value"]))


def search_catalog(conn: Connection, query: CatalogQuery) -> CatalogResult:
    search = _Search(conn, query)
    sort = search.sort()
    return CatalogResult(
        items=search.items(sort),
        total=search.total(),
        page=query.page,
        per_page=query.per_page,
        sort=sort,
        facets={
            **{name: search.facet(name) for name in FACETS},
            **{name: counts for name in TRUST_FACETS if (counts := search.facet(name))},
        },
    )
