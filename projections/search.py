"""Portfolio catalog search: published offerings, full text, filters, facets, sorting, paging.

Facets are disjunctive: the counts for one facet apply every filter except that facet's own, so a
buyer who ticks "math" still sees how many offerings "science" would add. Values within a facet
are alternatives (any of), except interoperability, where a buyer needs every standard named.
A designation (when there are some) is never a filter or a sort key unless a caller asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, and_, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

from projections.tables import (
    offering_grade_bands,
    offering_interoperability,
    offering_subjects,
    offerings,
)

SORTS = ("relevance", "newest", "price", "price_desc", "title")
FACETS = ("subject", "grade_band", "model_type", "delivery", "interoperability", "evidence_tier", "price_unit")
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
    sort: str | None = None
    page: int = 1
    per_page: int = 20


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
        return conditions

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
            items.append(document)
        return items

    def total(self) -> int:
        statement = select(func.count()).select_from(offerings).where(and_(*self.conditions()))
        return int(self.conn.execute(statement).scalar_one())

    def facet(self, name: str) -> list[dict[str, Any]]:
        where = and_(*self.conditions(without=name))
        if name in _MULTI:
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
        facets={name: search.facet(name) for name in FACETS},
    )
