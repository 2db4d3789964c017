"""The catalog as each web process holds it in memory, for filters, facet counts and ordering.

One entry per offering (every status), in column arrays (numpy): status, the facets as codes and
bit sets, price, publication time, provider, title, id. A search asks the database's own full-text
index which offerings match its words (``projections.search``); everything else is array work,
a few milliseconds at 100,000 offerings, where SQL needed a statement per facet that each
re-applied every filter.

Freshness: every search first reads the catalog projection's position (one row). If it moved, the
index reads what changed since it last looked: offerings whose ``changed_at`` is later (with their
designations) and privacy agreements recorded later. If the position went backwards (the catalog
was reset for a rebuild), it loads everything again. So a search never shows less than the read
model held when it began, and read-your-writes (``Min-Log-Position``) carries over unchanged.

Snapshots are immutable once built: a refresh builds new arrays and swaps them in under a lock,
so concurrent searches each read one consistent snapshot.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date
from operator import itemgetter
from typing import Any, Callable, Hashable, Sequence

import numpy as np
from sqlalchemy import Connection, select

from projections.db import mark_of
from projections.facet_codes import DELIVERY, EVIDENCE_TIER, MODEL_TYPE, PRICE_UNIT
from projections.tables import projection_positions

CATALOG = "catalog"
_TEXT_VERSIONS = itertools.count(1)
NO_DAY = np.iinfo(np.int32).max  # an open end: valid or in force with no last day
NONE = -1  # no value (a draft may lack one)

_OFFERING_COLUMNS = (
    "search_key, {id}, status, subject_bits, grade_band_bits, interoperability_bits, model_type, "
    "delivery, price_unit, evidence_tier, list_price_cents, {published}, {provider_id}, title"
)
_DIALECT_SQL = {
    "sqlite": {
        "id": "id",
        "provider_id": "provider_id",
        # SQLAlchemy stores a DateTime on SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here).
        "published": "CASE WHEN published_at IS NULL THEN 0 ELSE "
        "CAST(strftime('%s', published_at) AS INTEGER) * 1000000 "
        "+ CAST(substr(published_at, 21, 6) AS INTEGER) END",
    },
    "postgresql": {
        "id": "replace(id::text, '-', '')",
        "provider_id": "replace(provider_id::text, '-', '')",
        "published": "coalesce((extract(epoch from published_at) * 1000000)::bigint, 0)",
    },
}


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The catalog at one position. Arrays are indexed by ordinal; ``keys`` (the offerings'
    search keys) ascend, so ``np.searchsorted`` maps keys to ordinals."""

    position: int
    keys: np.ndarray  # int64
    id_hi: np.ndarray  # uint64: the id's first 8 bytes, for tie-breaks in id order
    id_lo: np.ndarray  # uint64
    published: np.ndarray  # bool
    subject_bits: np.ndarray  # int64 bit sets
    grade_band_bits: np.ndarray
    interoperability_bits: np.ndarray
    model_type: np.ndarray  # int8 code, NONE when absent
    delivery: np.ndarray
    price_unit: np.ndarray
    evidence_tier: np.ndarray  # int8: 0 none, 1..4
    price_cents: np.ndarray  # int64, NONE when absent
    published_us: np.ndarray  # int64 microseconds since the epoch, 0 when never published
    provider: np.ndarray  # int32 ordinal into ``providers``
    titles: tuple[str, ...]
    providers: tuple[str, ...]  # provider ids as 32 hex digits
    designations: Designations
    agreements: Agreements
    text_version: int
    """Changes only when some published offering's text may have changed: answers about search
    words learnt on one snapshot hold for every snapshot of the same text version (offerings
    added since hold none of the words: they are not published)."""
    text_changes: tuple[tuple[int, np.ndarray], ...] = ()
    """The latest text versions this one came from by refreshes, oldest first: (a version, the
    ordinals whose text may differ between it and the next). Bounded (``TEXT_CHANGES_KEPT``)."""
    _title_rank: list[np.ndarray] = field(default_factory=list, compare=False)
    _title_rank_before: tuple[list[np.ndarray], np.ndarray] | None = field(default=None, compare=False)
    """The snapshot refreshed into this one: its title rank (once some search needed it) and the
    ordinals changed since, so this one's rank moves only those."""

    @property
    def size(self) -> int:
        return int(self.keys.shape[0])

    def ordinals_of(self, keys: np.ndarray) -> np.ndarray:
        """Ordinals of the given search keys; keys the snapshot does not hold are dropped."""
        if keys.size == 0 or self.size == 0:
            return np.empty(0, dtype=np.int64)
        found = np.searchsorted(self.keys, keys)
        found[found >= self.size] = self.size - 1
        return found[self.keys[found] == keys]

    def text_changed_since(self, version: int) -> np.ndarray | None:
        """Ordinals whose text may differ from what it was at text ``version`` (ascending, once
        each); None when that version is not among the recent ones this snapshot came from."""
        if version == self.text_version:
            return np.empty(0, dtype=np.int64)
        for i, (since, _) in enumerate(self.text_changes):
            if since == version:
                return np.unique(np.concatenate([changed for _, changed in self.text_changes[i:]]))
        return None

    def mask_of(self, keys: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[self.ordinals_of(keys)] = True
        return mask

    def title_rank(self) -> np.ndarray:
        """Each offering's place in title order (case-insensitive, then exact, then id). Worked
        out from the previous snapshot's when it had one and few offerings changed since: those
        are taken out and put back in their places."""
        if not self._title_rank:
            order = self._title_order_from_before()
            if order is None:
                order = np.asarray(sorted(range(self.size), key=self._title_key), dtype=np.int64)
            rank = np.empty(self.size, dtype=np.int64)
            rank[order] = np.arange(self.size, dtype=np.int64)
            self._title_rank.append(rank)
        return self._title_rank[0]

    def _title_key(self, ordinal: int) -> tuple[str, str, int, int]:
        title = self.titles[ordinal]
        return title.casefold(), title, int(self.id_hi[ordinal]), int(self.id_lo[ordinal])

    def _title_order_from_before(self) -> np.ndarray | None:
        if self._title_rank_before is None:
            return None
        ranks, changed = self._title_rank_before
        if not ranks or changed.size > TITLE_RANK_MOVES_AT_MOST:
            return None
        before = ranks[0]
        order = np.empty(before.size, dtype=np.int64)
        order[before] = np.arange(before.size, dtype=np.int64)
        kept = order[~np.isin(order, changed)].tolist()
        moved = sorted(changed.tolist(), key=self._title_key)
        places = [bisect.bisect_left(kept, self._title_key(o), key=self._title_key) for o in moved]
        return np.insert(np.asarray(kept, dtype=np.int64), places, moved)


@dataclass(frozen=True, eq=False)
class Designations:
    """Every designation: the offering it labels, its name and the days it is active."""

    offering: np.ndarray  # int64 ordinal
    name: np.ndarray  # int32 index into ``names``
    valid_from: np.ndarray  # int32 proleptic Gregorian day number
    valid_until: np.ndarray  # int32, NO_DAY when open-ended
    revoked: np.ndarray  # bool
    names: tuple[str, ...]

    def active(self, today: date) -> np.ndarray:
        """The domain's ``designation_status`` is ACTIVE, as arrays (a unit test holds them equal)."""
        day = today.toordinal()
        return (~self.revoked) & (self.valid_from <= day) & (self.valid_until >= day)


@dataclass(frozen=True, eq=False)
class Agreements:
    """Providers' state data privacy agreements: provider, state and the days in force."""

    provider: np.ndarray  # int32 ordinal into the snapshot's providers
    state: np.ndarray  # int32 index into ``states``
    signed_on: np.ndarray  # int32 day number
    expires_on: np.ndarray  # int32, NO_DAY when open-ended
    states: tuple[str, ...]

    def in_force(self, today: date) -> np.ndarray:
        """The domain's ``in_force``, as arrays (a unit test holds them equal)."""
        day = today.toordinal()
        return (self.signed_on <= day) & (self.expires_on >= day)


class CatalogIndex:
    """The process's catalog index; ``snapshot(conn)`` is current as of the read model.

    It also keeps what searches learnt about the published texts (``cached``): each word's
    matches, asked of the database once, with the text version they were learnt on. When a
    refresh finds that published offerings changed (their text may have:
    ``Snapshot.text_version``), a kept answer is brought up to date by asking about those
    offerings alone (``update``), or asked again in full when they are too many or too long ago;
    so an answer never outlives the texts it describes. At most ``cache_bytes`` are kept, least
    recently used first out.
    """

    def __init__(self, cache_bytes: int = 64 * 1024 * 1024) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self.cache_bytes = cache_bytes
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()  # (text version, value)
        self._cached_bytes = 0

    def cached(
        self,
        snapshot: Snapshot,
        key: Hashable,
        compute: Callable[[], Any],
        update: Callable[[Any, np.ndarray], Any] | None = None,
    ) -> Any:
        """``compute()`` for this snapshot's text version, once (a value's size is its
        ``nbytes``); a value kept from an earlier text version this snapshot came from is
        brought up to date by ``update(value, ordinals whose text may differ)`` instead. A value
        learnt on an earlier snapshot of the same text version may describe fewer offerings than
        the snapshot holds: the ones added since."""
        with self._cache_lock:
            kept = self._cache.get(key)
            if kept is not None and kept[0] == snapshot.text_version:
                self._cache.move_to_end(key)
                return kept[1]
        changed = None
        if kept is not None and update is not None and kept[0] < snapshot.text_version:
            changed = snapshot.text_changed_since(kept[0])
        value = compute() if changed is None else update(kept[1], changed)  # type: ignore[index]
        with self._cache_lock:
            current = self._cache.get(key)
            if current is not None and current[0] >= snapshot.text_version:
                return value  # a later text's answer is kept already
            if current is not None:
                self._cached_bytes -= _nbytes(current[1])
            self._cache[key] = (snapshot.text_version, value)
            self._cache.move_to_end(key)
            self._cached_bytes += _nbytes(value)
            while self._cached_bytes > self.cache_bytes and len(self._cache) > 1:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cached_bytes -= _nbytes(dropped)
        return value

    def snapshot(self, conn: Connection) -> Snapshot:
        position = catalog_position(conn)
        current = self._snapshot
        if current is not None and current.position == position:
            return current
        with self._lock:
            current = self._snapshot
            if current is None or position < current.position:
                current = load(conn, position)
            elif position > current.position:
                current = refresh(conn, current, position)
            self._snapshot = current
            return current

    def forget(self) -> None:
        """Drop the snapshot and what was learnt about it: the next search loads everything."""
        with self._lock:
            self._snapshot = None
        self.clear_cache()

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache, self._cached_bytes = OrderedDict(), 0


def _nbytes(value: Any) -> int:
    return int(getattr(value, "nbytes", 0))


def catalog_position(conn: Connection) -> int:
    found = conn.execute(
        select(projection_positions.c.position).where(projection_positions.c.name == CATALOG)
    ).scalar()
    return int(found or 0)


# Loading and refreshing ---------------------------------------------------------------------------


@dataclass
class _Columns:
    """Offering rows turned into arrays."""

    keys: np.ndarray
    id_hi: np.ndarray
    id_lo: np.ndarray
    published: np.ndarray
    subject_bits: np.ndarray
    grade_band_bits: np.ndarray
    interoperability_bits: np.ndarray
    model_type: np.ndarray
    delivery: np.ndarray
    price_unit: np.ndarray
    evidence_tier: np.ndarray
    price_cents: np.ndarray
    published_us: np.ndarray
    provider_ids: list[str]
    titles: list[str]

    ARRAYS = (
        "keys", "id_hi", "id_lo", "published", "subject_bits", "grade_band_bits",
        "interoperability_bits", "model_type", "delivery", "price_unit", "evidence_tier",
        "price_cents", "published_us",
    )


def _offering_rows(conn: Connection, since: int | None) -> _Columns:
    sql = "SELECT " + _OFFERING_COLUMNS.format(**_DIALECT_SQL[conn.dialect.name]) + " FROM offerings"
    if since is not None:
        sql += f" WHERE changed_at > {mark_of(conn.dialect)}"
        parameters = (since,)
        # In key order here, not in SQL: asked to order, SQLite walks every offering in key
        # order instead of seeking the few changed ones by ``changed_at``.
        rows = sorted(conn.exec_driver_sql(sql, parameters).all(), key=itemgetter(0))
    else:
        rows = conn.exec_driver_sql(sql + " ORDER BY search_key").all()
    count = len(rows)
    columns = list(zip(*rows)) if rows else [()] * 14

    def codes(values: Sequence[Any], table: dict[str, int]) -> np.ndarray:
        return np.fromiter((table.get(v, NONE) if v is not None else NONE for v in values), np.int8, count)

    ids = np.frombuffer(bytes.fromhex("".join(columns[1])), dtype=">u8").reshape(count, 2)
    return _Columns(
        keys=np.fromiter(columns[0], np.int64, count),
        id_hi=ids[:, 0].astype(np.uint64),
        id_lo=ids[:, 1].astype(np.uint64),
        published=np.fromiter((s == "published" for s in columns[2]), bool, count),
        subject_bits=np.fromiter(columns[3], np.int64, count),
        grade_band_bits=np.fromiter(columns[4], np.int64, count),
        interoperability_bits=np.fromiter(columns[5], np.int64, count),
        model_type=codes(columns[6], MODEL_TYPE),
        delivery=codes(columns[7], DELIVERY),
        price_unit=codes(columns[8], PRICE_UNIT),
        evidence_tier=np.fromiter(
            (EVIDENCE_TIER.get("none" if t is None else str(t), 0) for t in columns[9]), np.int8, count
        ),
        price_cents=np.fromiter((NONE if p is None else p for p in columns[10]), np.int64, count),
        published_us=np.fromiter(columns[11], np.int64, count),
        provider_ids=list(columns[12]),
        titles=list(columns[13]),
    )


def load(conn: Connection, position: int) -> Snapshot:
    rows = _offering_rows(conn, since=None)
    providers: dict[str, int] = {}
    snapshot = Snapshot(
        position=position,
        **{name: getattr(rows, name) for name in _Columns.ARRAYS},
        provider=_provider_ordinals(rows.provider_ids, providers),
        titles=tuple(rows.titles),
        providers=tuple(providers),
        designations=_no_designations(),
        agreements=_no_agreements(),
        text_version=next(_TEXT_VERSIONS),
    )
    snapshot = replace(snapshot, designations=_read_designations(conn, snapshot))
    return _with_agreements(conn, snapshot, since=None)


def refresh(conn: Connection, snapshot: Snapshot, position: int) -> Snapshot:
    """The snapshot moved on to ``position``: changed offerings replaced, new ones appended."""
    rows = _offering_rows(conn, since=snapshot.position)
    if len(rows.keys) == 0:
        return _with_agreements(conn, replace(snapshot, position=position), since=snapshot.position)
    if snapshot.size:
        known = np.searchsorted(snapshot.keys, rows.keys)
        known[known >= snapshot.size] = snapshot.size - 1
        is_known = snapshot.keys[known] == rows.keys
    else:
        known = np.zeros(len(rows.keys), dtype=np.int64)
        is_known = np.zeros(len(rows.keys), dtype=bool)
    fresh = ~is_known
    if fresh.any() and snapshot.size and rows.keys[fresh].min() <= snapshot.keys[-1]:
        return load(conn, position)  # a new key among the old ones: cannot append, start again
    where = known[is_known]
    providers = {p: i for i, p in enumerate(snapshot.providers)}
    provider = _provider_ordinals(rows.provider_ids, providers)
    arrays: dict[str, np.ndarray] = {}
    for name, old, new in [
        *((n, getattr(snapshot, n), getattr(rows, n)) for n in _Columns.ARRAYS),
        ("provider", snapshot.provider, provider),
    ]:
        updated = old.copy()
        updated[where] = new[is_known]
        arrays[name] = np.concatenate([updated, new[fresh]])
    titles = list(snapshot.titles)
    new_titles = np.asarray(rows.titles, dtype=object)
    for ordinal, title in zip(where.tolist(), new_titles[is_known].tolist()):
        titles[ordinal] = title
    titles.extend(new_titles[fresh].tolist())
    changed = np.concatenate([where, snapshot.size + np.arange(int(fresh.sum()), dtype=np.int64)])
    # Drafts come and go without touching a published text; anything else may have.
    was_published = np.concatenate([snapshot.published[where], np.zeros(int(fresh.sum()), dtype=bool)])
    is_published = np.concatenate([rows.published[is_known], rows.published[fresh]])
    texts_changed = changed[was_published | is_published]
    text_version, text_changes = snapshot.text_version, snapshot.text_changes
    if texts_changed.size:
        text_version = next(_TEXT_VERSIONS)
        text_changes = _kept_text_changes((*text_changes, (snapshot.text_version, texts_changed)))
    moved = replace(
        snapshot,
        position=position,
        **arrays,
        titles=tuple(titles),
        providers=tuple(providers),
        text_version=text_version,
        text_changes=text_changes,
        _title_rank=[],
        _title_rank_before=(snapshot._title_rank, changed),
    )
    moved = replace(
        moved, designations=_read_designations(conn, moved, since=snapshot.position, changed=changed)
    )
    return _with_agreements(conn, moved, since=snapshot.position)


TITLE_RANK_MOVES_AT_MOST = 2000
"""Changed offerings beyond which the title order is worked out afresh instead."""

TEXT_CHANGES_KEPT = (64, 4096)
"""At most this many recent text versions, and ordinals changed over them, are remembered: an
answer learnt before them is asked again in full."""


def _kept_text_changes(
    changes: tuple[tuple[int, np.ndarray], ...],
) -> tuple[tuple[int, np.ndarray], ...]:
    versions, ordinals = TEXT_CHANGES_KEPT
    while changes and (len(changes) > versions or sum(c.size for _, c in changes) > ordinals):
        changes = changes[1:]
    return changes


def _provider_ordinals(provider_ids: list[str], providers: dict[str, int]) -> np.ndarray:
    return np.fromiter(
        (providers.setdefault(p, len(providers)) for p in provider_ids), np.int32, len(provider_ids)
    )


def _no_designations() -> Designations:
    empty = np.empty(0, dtype=np.int32)
    return Designations(np.empty(0, dtype=np.int64), empty, empty, empty, np.empty(0, dtype=bool), ())


def _read_designations(
    conn: Connection, snapshot: Snapshot, since: int | None = None, changed: np.ndarray | None = None
) -> Designations:
    """The designations of every offering (``since`` None), or the snapshot's with those of the
    offerings changed after ``since`` (ordinals ``changed``) read again: a designation's issue or
    revocation moves its offering's ``changed_at``."""
    sql = (
        "SELECT o.search_key, d.name, d.valid_from, d.valid_until, d.revoked_at IS NOT NULL "
        "FROM offering_designations d JOIN offerings o ON o.id = d.offering_id"
    )
    parameters: Any = ()
    if since is not None:
        sql += f" WHERE o.changed_at > {mark_of(conn.dialect)}"
        parameters = (since,)
    rows = conn.exec_driver_sql(sql, parameters).all()
    old = snapshot.designations
    if since is None or changed is None:
        keep = np.zeros(old.offering.shape[0], dtype=bool)
    else:
        keep = ~np.isin(old.offering, changed)
    names = {n: i for i, n in enumerate(old.names)}
    count = len(rows)
    return Designations(
        offering=np.concatenate(
            [old.offering[keep], snapshot.ordinals_of(np.fromiter((r[0] for r in rows), np.int64, count))]
        ),
        name=np.concatenate(
            [old.name[keep], np.fromiter((names.setdefault(r[1], len(names)) for r in rows), np.int32, count)]
        ),
        valid_from=np.concatenate(
            [old.valid_from[keep], np.fromiter((_day(r[2]) for r in rows), np.int32, count)]
        ),
        valid_until=np.concatenate(
            [old.valid_until[keep], np.fromiter((_day(r[3]) for r in rows), np.int32, count)]
        ),
        revoked=np.concatenate([old.revoked[keep], np.fromiter((bool(r[4]) for r in rows), bool, count)]),
        names=tuple(names),
    )


def _day(value: Any) -> int:
    """A date (or its ISO text, as SQLite returns it) as a day number; None: an open end."""
    if value is None:
        return int(NO_DAY)
    return (date.fromisoformat(value) if isinstance(value, str) else value).toordinal()


def _no_agreements() -> Agreements:
    empty = np.empty(0, dtype=np.int32)
    return Agreements(empty, empty, empty, empty, ())


def _with_agreements(conn: Connection, snapshot: Snapshot, since: int | None) -> Snapshot:
    """Append the state agreements recorded after ``since`` (all of them when None): agreements
    are only ever recorded, never changed."""
    provider_id = _DIALECT_SQL[conn.dialect.name]["provider_id"]
    sql = (
        f"SELECT {provider_id}, state, signed_on, expires_on FROM provider_privacy_agreements "
        "WHERE scope = 'state'"
    )
    parameters: Any = ()
    if since is not None:
        sql += f" AND position > {mark_of(conn.dialect)}"
        parameters = (since,)
    rows = conn.exec_driver_sql(sql + " ORDER BY position", parameters).all()
    if not rows:
        return snapshot
    old = snapshot.agreements
    providers = {p: i for i, p in enumerate(snapshot.providers)}
    states = {s: i for i, s in enumerate(old.states)}
    count = len(rows)
    return replace(
        snapshot,
        providers=tuple(providers),
        agreements=Agreements(
            provider=np.concatenate(
                [old.provider, np.fromiter((providers.setdefault(r[0], len(providers)) for r in rows), np.int32, count)]
            ),
            state=np.concatenate(
                [old.state, np.fromiter((states.setdefault(r[1], len(states)) for r in rows), np.int32, count)]
            ),
            signed_on=np.concatenate([old.signed_on, np.fromiter((_day(r[2]) for r in rows), np.int32, count)]),
            expires_on=np.concatenate([old.expires_on, np.fromiter((_day(r[3]) for r in rows), np.int32, count)]),
            states=tuple(states),
        ),
    )
