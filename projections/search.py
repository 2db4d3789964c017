"""Portfolio catalog search: published offerings, full text, filters, facets, sorting, paging.

Facets are disjunctive: the counts for one facet apply every filter except that facet's own, so a
buyer who ticks "math" still sees how many offerings "science" would add. Values within a facet
are alternatives (any of), except interoperability, where a buyer needs every standard named.

Trust signals (PRODUCT rules 10 and 11) sit beside the offering's own attributes: each card shows
its designations as labels (with their status on the day) and its provider's privacy status (the
states its state agreements cover, and how many districts its district agreements cover). The
``designation`` and ``privacy_state`` facets are reported when some offering carries a value, and
they filter only when a caller names them. No designation ever enters relevance or any sort.

How a search runs: each word goes to the database's own full-text index (FTS5 on SQLite, a
``tsvector`` with a GIN index on PostgreSQL), which answers in one packed value with the
published offerings holding it and in which fields. That answer is kept; when published offerings
change, only they are asked about again (``find_term_again``). Filters, facet counts, relevance
and orderings are array operations on the process's catalog index (``projections.catalog_index``).
Relevance weighs each word by the fields that hold it (title, then provider name, summary,
description) and by its rarity; ties in every order are broken by id (relevance: newest first,
then id), so pages never repeat or drop an offering.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

import events
from projections.catalog_index import NONE, CatalogIndex, Snapshot
from projections.facet_codes import EVIDENCE_TIER, MULTI_VALUED, SINGLE_VALUED, bits
from projections.tables import SEARCH_FIELDS, offerings
from projections.trust_queries import designation_label, privacy_by_provider

SORTS = ("relevance", "newest", "price", "price_desc", "title")
FACETS = ("subject", "grade_band", "model_type", "delivery", "interoperability", "evidence_tier", "price_unit")
TRUST_FACETS = ("designation", "privacy_state")
"""Reported only when some offering in the result carries a value; never a default filter."""
MAX_TERMS = 12

_BITS = {"subject": "subject_bits", "grade_band": "grade_band_bits", "interoperability": "interoperability_bits"}
_TIER_NAMES = {code: name for name, code in EVIDENCE_TIER.items()}


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


STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()
)
"""Words a search ignores (they narrow nothing), on either database: PostgreSQL's ``english``
text search configuration drops these (its stop list, ``tsearch_data/english.stop``), and SQLite's
FTS5 has no stop list, so without this a query such as "the orchard" would find different
offerings on the two (on SQLite, only those holding a word that begins with "the")."""


def search_terms(q: str | None) -> list[str]:
    """The words of a search that narrow it: each once, common words (``STOP_WORDS``) left out
    before any limit, so that "the" twelve times cannot push the one real word out."""
    words = dict.fromkeys(w for w in re.findall(r"\w+", (q or "").lower()) if w not in STOP_WORDS)
    return list(words)


def too_many_terms(q: str | None) -> bool:
    """More than ``MAX_TERMS`` words that narrow: refused rather than some of them dropped, since
    an offering must hold every word."""
    return len(search_terms(q)) > MAX_TERMS


def _fts5_term(term: str) -> str:
    # The term as itself (stemmed by the porter tokenizer) or as a prefix of a longer word.
    return f'("{term}" OR "{term}"*)'


# The database's part: full text -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TermMatch:
    """Where one search word is found: for each offering (by ordinal), a bit per field of
    ``SEARCH_FIELDS`` that holds it; ``ignored`` for a word PostgreSQL's configuration drops
    (``search_terms`` has already left out ``STOP_WORDS``), which then narrows nothing."""

    fields: np.ndarray  # uint8
    ignored: bool = False

    @property
    def matched(self) -> int:
        return int(np.count_nonzero(self.fields))

    def fields_of(self, size: int) -> np.ndarray:
        """The fields for a snapshot of ``size`` offerings (those added since hold no word)."""
        if self.fields.size == size:
            return self.fields
        return np.concatenate([self.fields, np.zeros(size - self.fields.size, dtype=np.uint8)])

    @property
    def nbytes(self) -> int:
        return int(self.fields.nbytes)


def find_term(conn: Connection, snapshot: Snapshot, term: str) -> TermMatch:
    """Ask the database's full-text index which published offerings hold ``term``, and where."""
    fields = np.zeros(snapshot.size, dtype=np.uint8)
    if not _ask(conn, snapshot, term, fields, among=None):
        return TermMatch(fields, ignored=True)
    return TermMatch(fields)


REASK_AT_MOST = {"sqlite": 4, "postgresql": 1024}
"""Changed offerings beyond which asking the database about a word again in full is cheaper than
asking about each of them: FTS5 seeks a word's list once per offering, PostgreSQL reads each
offering's row by its key."""


def find_term_again(
    conn: Connection, snapshot: Snapshot, term: str, known: TermMatch, changed: np.ndarray
) -> TermMatch:
    """``known`` (learnt on an earlier text version) brought up to ``snapshot``: the offerings at
    ``changed`` ordinals, whose text may differ since, are asked about again; the rest holds."""
    if known.ignored:
        return known  # the database drops the word (a stop word), whatever the texts
    if changed.size == 0:
        return known
    if changed.size > REASK_AT_MOST[conn.dialect.name]:
        return find_term(conn, snapshot, term)
    fields = known.fields_of(snapshot.size).copy()
    fields[changed] = 0
    _ask(conn, snapshot, term, fields, among=[int(k) for k in snapshot.keys[changed]])
    return TermMatch(fields)


def _ask(
    conn: Connection, snapshot: Snapshot, term: str, fields: np.ndarray, among: list[int] | None
) -> bool:
    """Set in ``fields`` (by ordinal) the bit of each search field that holds ``term``, for every
    published offering, or only those whose search keys are ``among``; False when the database
    ignores the word (PostgreSQL: a word its configuration drops), which then narrows nothing."""
    if conn.dialect.name == "sqlite":
        only = "" if among is None else " AND rowid IN (SELECT value FROM json_each(?))"
        parameters = (_fts5_term(term),) + (() if among is None else (json.dumps(among),))
        for bit, field in enumerate(SEARCH_FIELDS):
            packed = conn.exec_driver_sql(
                f"SELECT group_concat(rowid) FROM offering_text_{field} "
                f"WHERE offering_text_{field} MATCH ?{only}",
                parameters,
            ).scalar()
            fields[snapshot.ordinals_of(_unpack(packed))] |= 1 << bit
        return True
    only = "" if among is None else "search_key = ANY(%(keys)s) AND "
    texts = ", ".join(
        f"(SELECT string_agg(search_key::text, ',') FROM offering_text_{field} "
        f"WHERE {only}words @@ to_tsquery('english', %(word)s))"
        for field in SEARCH_FIELDS
    )
    # Asked in full, the GIN index, always: the planner prices a heap page visit as a disk read
    # and would scan a whole field table for a word in a few percent of offerings, several times
    # slower. Asked about some offerings, their rows by key.
    if among is None:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        found = conn.exec_driver_sql(
            f"SELECT numnode(to_tsquery('english', %(word)s)), {texts}",
            {"word": f"{term}:*", "keys": among},
        ).one()
    finally:
        if among is None:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
    if not found[0]:
        return False
    for bit, packed in enumerate(found[1:]):
        fields[snapshot.ordinals_of(_unpack(packed))] |= 1 << bit
    return True


def _unpack(packed: str | None) -> np.ndarray:
    if not packed:
        return np.empty(0, dtype=np.int64)
    return np.fromstring(packed, dtype=np.int64, sep=",")


FIELD_WEIGHTS = {"title": 10.0, "provider_name": 6.0, "summary": 4.0, "description": 1.0}
"""Relevance: a word in the title counts most, then in the provider's name, the summary, the
description; each word's weight is scaled by its rarity (bm25's inverse document frequency)."""
_WEIGHT_OF_FIELDS = np.array(
    [sum(FIELD_WEIGHTS[f] for bit, f in enumerate(SEARCH_FIELDS) if flags >> bit & 1) for flags in range(16)]
)


def _rarity(matched: int, total: int) -> float:
    return float(np.log(1.0 + (total - matched + 0.5) / (matched + 0.5)))


# The index's part: filters, facets, order ---------------------------------------------------------


class _Search:
    def __init__(self, conn: Connection, index: CatalogIndex, query: CatalogQuery):
        self.conn = conn
        self.snapshot = snapshot = index.snapshot(conn)
        self.query = query
        self.terms = search_terms(query.q)
        self.today = query.today or events.now().date()
        self.base = snapshot.published.copy()
        # Each word's matches are asked of the database once, then only about offerings whose
        # text changed since (cached by the index).
        self.words = [
            (match.fields_of(snapshot.size), match.matched)
            for term in self.terms  # each once, stop words left out (``search_terms``)
            if not (
                match := index.cached(
                    snapshot,
                    ("term", term),
                    lambda t=term: find_term(conn, snapshot, t),
                    lambda known, changed, t=term: find_term_again(conn, snapshot, t, known, changed),
                )
            ).ignored
        ]
        for fields, _ in self.words:
            self.base &= fields != 0
        if query.max_price_cents is not None:
            self.base &= (snapshot.price_cents != NONE) & (snapshot.price_cents <= query.max_price_cents)
        self.filters = self._filters()

    def _filters(self) -> dict[str, np.ndarray]:
        q, s = self.query, self.snapshot
        filters: dict[str, np.ndarray] = {}
        for name, codes in MULTI_VALUED.items():
            values = getattr(q, name)
            if not values:
                continue
            column = getattr(s, _BITS[name])
            if name == "interoperability":  # every standard named
                wanted = bits(codes, values, strict=True)
                filters[name] = (column & wanted) == wanted if wanted >= 0 else np.zeros(s.size, bool)
            else:
                filters[name] = (column & bits(codes, values)) != 0
        for name, codes in SINGLE_VALUED.items():
            values = getattr(q, name)
            if values:
                filters[name] = np.isin(getattr(s, name), [codes[v] for v in values if v in codes])
        if q.evidence_tier:
            filters["evidence_tier"] = np.isin(s.evidence_tier, [EVIDENCE_TIER[t] for t in q.evidence_tier])
        if q.designation:
            designations = s.designations
            wanted = [i for i, n in enumerate(designations.names) if n in q.designation]
            chosen = designations.active(self.today) & np.isin(designations.name, wanted)
            mask = np.zeros(s.size, dtype=bool)
            mask[designations.offering[chosen]] = True
            filters["designation"] = mask
        if q.privacy_state:
            agreements = s.agreements
            wanted = [i for i, st in enumerate(agreements.states) if st in q.privacy_state]
            chosen = agreements.in_force(self.today) & np.isin(agreements.state, wanted)
            covered = np.zeros(len(s.providers), dtype=bool)
            covered[agreements.provider[chosen]] = True
            filters["privacy_state"] = covered[s.provider]
        return filters

    def passing(self, without: str | None = None) -> np.ndarray:
        mask = self.base.copy()
        for name, condition in self.filters.items():
            if name != without:
                mask &= condition
        return mask

    # Facets ------------------------------------------------------------------------------------

    def facet(self, name: str) -> list[dict[str, Any]]:
        s = self.snapshot
        within = self.passing(without=name)
        counts: dict[str, int]
        if name in MULTI_VALUED:
            column = getattr(s, _BITS[name])[within]
            counts = {
                value: int(np.count_nonzero(column & (1 << code)))
                for value, code in MULTI_VALUED[name].items()
            }
        elif name in SINGLE_VALUED:
            column = getattr(s, name)[within]
            tally = np.bincount(column[column != NONE], minlength=len(SINGLE_VALUED[name]))
            counts = {value: int(tally[code]) for value, code in SINGLE_VALUED[name].items()}
        elif name == "evidence_tier":
            tally = np.bincount(s.evidence_tier[within], minlength=len(EVIDENCE_TIER))
            counts = {_TIER_NAMES[code]: int(n) for code, n in enumerate(tally)}
        elif name == "designation":
            counts = self._designation_counts(within)
        else:
            counts = self._privacy_state_counts(within)
        listed = [{"value": value, "count": n} for value, n in counts.items() if n > 0]
        return sorted(listed, key=lambda c: (-c["count"], c["value"]))

    def _designation_counts(self, within: np.ndarray) -> dict[str, int]:
        designations = self.snapshot.designations
        chosen = designations.active(self.today)
        chosen[chosen] &= within[designations.offering[chosen]]
        names = len(designations.names)
        pairs = np.unique(designations.offering[chosen] * max(names, 1) + designations.name[chosen])
        tally = np.bincount(pairs % max(names, 1), minlength=names)
        return {designations.names[i]: int(n) for i, n in enumerate(tally)}

    def _privacy_state_counts(self, within: np.ndarray) -> dict[str, int]:
        s = self.snapshot
        agreements = s.agreements
        chosen = agreements.in_force(self.today)
        states = len(agreements.states)
        pairs = np.unique(agreements.provider[chosen].astype(np.int64) * max(states, 1) + agreements.state[chosen])
        per_provider = np.bincount(s.provider[within], minlength=len(s.providers))
        tally = np.bincount(pairs % max(states, 1), weights=per_provider[pairs // max(states, 1)], minlength=states)
        return {agreements.states[i]: int(n) for i, n in enumerate(tally)}

    # Ordering ----------------------------------------------------------------------------------

    def sort(self) -> str:
        requested = self.query.sort
        if requested == "relevance" and not self.terms:
            return "newest"
        return requested or ("relevance" if self.terms else "newest")

    def page_of(self, final: np.ndarray, sort: str) -> np.ndarray:
        """Ordinals of the offerings on the requested page, in order."""
        s, q = self.snapshot, self.query
        start = (q.page - 1) * q.per_page
        stop = start + q.per_page
        candidates = np.flatnonzero(final)
        if start >= candidates.size:
            return np.empty(0, dtype=np.int64)
        then = None
        if sort == "title":
            key: np.ndarray = s.title_rank()[candidates]
        elif sort == "relevance":
            key = -self.relevance(candidates)
            then = -s.published_us[candidates]  # equally relevant: the newest first
        elif sort in ("price", "price_desc"):
            price = s.price_cents[candidates].astype(np.float64)
            price[s.price_cents[candidates] == NONE] = np.inf if sort == "price" else -np.inf  # unpriced last
            key = price if sort == "price" else -price
        else:
            key = -s.published_us[candidates]
        return _top(candidates, key, then, s.id_hi[candidates], s.id_lo[candidates], start, stop)

    def relevance(self, candidates: np.ndarray) -> np.ndarray:
        """Each word counts by the fields that hold it (``FIELD_WEIGHTS``) times its rarity."""
        published = int(np.count_nonzero(self.snapshot.published))
        score = np.zeros(candidates.size, dtype=np.float64)
        for fields, matched in self.words:
            score += _rarity(matched, published) * _WEIGHT_OF_FIELDS[fields[candidates]]
        return score

    def items(self, ordinals: np.ndarray) -> list[dict[str, Any]]:
        keys = self.snapshot.keys[ordinals].tolist()
        if not keys:
            return []
        rows = self.conn.execute(
            select(offerings.c.search_key, offerings.c.document).where(offerings.c.search_key.in_(keys))
        )
        documents = {row.search_key: row.document for row in rows}
        items = []
        for key in keys:
            document = dict(documents[key])
            document.pop("description", None)  # cards carry the summary; the offering page has it all
            document["designations"] = [
                designation_label(label, self.today) for label in document.get("designations") or []
            ]
            items.append(document)
        privacy = privacy_by_provider(self.conn, {item["provider"]["id"] for item in items}, self.today)
        for item in items:
            item["privacy"] = privacy[item["provider"]["id"]]
        return items


def _top(
    candidates: np.ndarray,
    key: np.ndarray,
    then: np.ndarray | None,
    id_hi: np.ndarray,
    id_lo: np.ndarray,
    start: int,
    stop: int,
) -> np.ndarray:
    """``candidates[start:stop]`` in (key, then, id) order (the arrays run beside the
    candidates), without sorting more than needed: every candidate whose key is at most the
    stop-th smallest is kept (ties included), then those are sorted."""
    if stop < candidates.size:
        kth = np.partition(key, stop - 1)[stop - 1]
        keep = key <= kth
        candidates, key, id_hi, id_lo = candidates[keep], key[keep], id_hi[keep], id_lo[keep]
        then = None if then is None else then[keep]
    order = np.lexsort((id_lo, id_hi, key) if then is None else (id_lo, id_hi, then, key))
    return candidates[order][start:stop]


def search_catalog(conn: Connection, query: CatalogQuery, index: CatalogIndex) -> CatalogResult:
    search = _Search(conn, index, query)
    sort = search.sort()
    final = search.passing()
    facets: dict[str, list[dict[str, Any]]] = {name: search.facet(name) for name in FACETS}
    for name in TRUST_FACETS:
        counts = search.facet(name)
        if counts:
            facets[name] = counts
    return CatalogResult(
        items=search.items(search.page_of(final, sort)),
        total=int(np.count_nonzero(final)),
        page=query.page,
        per_page=query.per_page,
        sort=sort,
        facets=facets,
    )

