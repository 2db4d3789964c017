"""Reading OCDS releases, and packaging them: release packages and record packages with a
compiled release (OCDS 1.1.5).

Releases are read as stored, never rebuilt on read; a record's compiled release is merged from
its releases with ``ocdsmerge`` under the merge rules of the 1.1.5 release schema (written out
below, so that merging never fetches the schema; a test compares them with the schema's own).
Packages are serialised with sorted keys and fixed separators, so the same releases always give
the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

import ocdsmerge
from sqlalchemy import Connection, func, select

from events.plain import iso_utc
from projections.procurement import utc
from projections.queries import Page, _page
from projections.tables import ocds_releases

OCDS_VERSION = "1.1"
PUBLISHER = {"name": "Cooperative procurement marketplace"}
LICENSE = "https://opendatacommons.org/licenses/pddl/1.0/"
EPOCH = "1970-01-01T00:00:00+00:00"

# ocdsmerge.rules.get_merge_rules(<release-schema.json of OCDS 1.1.5>)
MERGE_RULES: dict[tuple[str, ...], str] = {
    ("awards", "amendment", "changes"): "wholeListMerge",
    ("awards", "amendments", "changes"): "wholeListMerge",
    ("awards", "items", "additionalClassifications"): "wholeListMerge",
    ("awards", "suppliers", "additionalIdentifiers"): "wholeListMerge",
    ("buyer", "additionalIdentifiers"): "wholeListMerge",
    ("contracts", "amendment", "changes"): "wholeListMerge",
    ("contracts", "amendments", "changes"): "wholeListMerge",
    ("contracts", "implementation", "transactions", "payee", "additionalIdentifiers"): (
        "wholeListMerge"
    ),
    ("contracts", "implementation", "transactions", "payer", "additionalIdentifiers"): (
        "wholeListMerge"
    ),
    ("contracts", "items", "additionalClassifications"): "wholeListMerge",
    ("contracts", "relatedProcesses", "relationship"): "wholeListMerge",
    ("date",): "omitWhenMerged",
    ("id",): "omitWhenMerged",
    ("parties", "additionalIdentifiers"): "wholeListMerge",
    ("parties", "roles"): "wholeListMerge",
    ("relatedProcesses", "relationship"): "wholeListMerge",
    ("tag",): "omitWhenMerged",
    ("tender", "additionalProcurementCategories"): "wholeListMerge",
    ("tender", "amendment", "changes"): "wholeListMerge",
    ("tender", "amendments", "changes"): "wholeListMerge",
    ("tender", "items", "additionalClassifications"): "wholeListMerge",
    ("tender", "procuringEntity", "additionalIdentifiers"): "wholeListMerge",
    ("tender", "submissionMethod"): "wholeListMerge",
    ("tender", "tenderers", "additionalIdentifiers"): "wholeListMerge",
}

_merger = ocdsmerge.Merger(merge_rules=MERGE_RULES)


def serialize(document: Any) -> str:
    """The one serialisation of OCDS output: sorted keys, fixed separators, no NaN."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


# Releases --------------------------------------------------------------------------------------


def releases(
    conn: Connection,
    date_from: datetime | None,
    date_to: datetime | None,
    page: int,
    per_page: int,
) -> Page:
    """Releases dated in [date_from, date_to), oldest first (then in log order)."""
    query = select(ocds_releases.c.release)
    if date_from is not None:
        query = query.where(ocds_releases.c.date >= utc(date_from))
    if date_to is not None:
        query = query.where(ocds_releases.c.date < utc(date_to))
    query = query.order_by(ocds_releases.c.date, ocds_releases.c.position)
    rows, total = _page(conn, query, page, per_page)
    return Page([dict(r.release) for r in rows], total, page, per_page)


def newest_release_date(conn: Connection) -> str | None:
    return newest_release_date_between(conn, None, None)


def _releases_of(conn: Connection, ocids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {ocid: [] for ocid in ocids}
    if not ocids:
        return found
    rows = conn.execute(
        select(ocds_releases.c.ocid, ocds_releases.c.release)
        .where(ocds_releases.c.ocid.in_(list(ocids)))
        .order_by(ocds_releases.c.date, ocds_releases.c.position)
    )
    for ocid, release in rows:
        found[ocid].append(dict(release))
    return found


# Records ---------------------------------------------------------------------------------------


def compile_record(ocid: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    """A record: its releases, embedded in date order, and the compiled release."""
    return {
        "ocid": ocid,
        "releases": releases,
        "compiledRelease": _merger.create_compiled_release(releases),
    }


def records(conn: Connection, page: int, per_page: int) -> Page:
    """Records, in the order their contracting processes were first published."""
    first = func.min(ocds_releases.c.position).label("first")
    query = (
        select(ocds_releases.c.ocid, first)
        .group_by(ocds_releases.c.ocid)
        .order_by(first, ocds_releases.c.ocid)
    )
    rows, total = _page(conn, query, page, per_page)
    ocids = [row.ocid for row in rows]
    found = _releases_of(conn, ocids)
    return Page([compile_record(ocid, found[ocid]) for ocid in ocids], total, page, per_page)


def record(conn: Connection, ocid: str) -> dict[str, Any] | None:
    found = _releases_of(conn, [ocid])[ocid]
    return compile_record(ocid, found) if found else None


# Packages --------------------------------------------------------------------------------------


def _newest(dates: Sequence[str]) -> str | None:
    return max(dates, key=lambda d: datetime.fromisoformat(d), default=None)


def release_package(
    uri: str, releases: list[dict[str, Any]], fallback_date: str | None
) -> dict[str, Any]:
    """A release package; published as of its newest release (or ``fallback_date`` when empty)."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _newest([r["date"] for r in releases]) or fallback_date or EPOCH,
        "publisher": dict(PUBLISHER),
        "license": LICENSE,
        "releases": releases,
    }


def record_package(
    uri: str, records: list[dict[str, Any]], fallback_date: str | None
) -> dict[str, Any]:
    """A record package; published as of the newest release in its records."""
    dates = [release["date"] for r in records for release in r["releases"]]
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _newest(dates) or fallback_date or EPOCH,
        "publisher": dict(PUBLISHER),
        "license": LICENSE,
        "records": records,
    }


def iter_releases(
    conn: Connection, date_from: datetime | None, date_to: datetime | None
) -> Iterator[dict[str, Any]]:
    """Every release dated in [date_from, date_to), oldest first, streamed from the database."""
    query = select(ocds_releases.c.release)
    if date_from is not None:
        query = query.where(ocds_releases.c.date >= utc(date_from))
    if date_to is not None:
        query = query.where(ocds_releases.c.date < utc(date_to))
    query = query.order_by(ocds_releases.c.date, ocds_releases.c.position)
    for row in conn.execution_options(yield_per=500).execute(query):
        yield dict(row.release)


def count_releases(conn: Connection, date_from: datetime | None, date_to: datetime | None) -> int:
    query = select(func.count()).select_from(ocds_releases)
    if date_from is not None:
        query = query.where(ocds_releases.c.date >= utc(date_from))
    if date_to is not None:
        query = query.where(ocds_releases.c.date < utc(date_to))
    return int(conn.execute(query).scalar_one())


def newest_release_date_between(
    conn: Connection, date_from: datetime | None, date_to: datetime | None
) -> str | None:
    query = select(func.max(ocds_releases.c.date))
    if date_from is not None:
        query = query.where(ocds_releases.c.date >= utc(date_from))
    if date_to is not None:
        query = query.where(ocds_releases.c.date < utc(date_to))
    newest = conn.execute(query).scalar_one_or_none()
    if isinstance(newest, str):  # SQLite may hand back the stored text of an aggregate
        newest = datetime.fromisoformat(newest)
    return iso_utc(newest)


def release_package_chunks(
    uri: str, releases: Iterable[dict[str, Any]], published_date: str | None
) -> Iterator[str]:
    """A whole release package as text, one release at a time, so memory stays flat: the same
    bytes as ``serialize(release_package(uri, list(releases), ...))``."""
    head = release_package(uri, [], published_date)
    del head["releases"]
    yield "{"
    for key, value in sorted(head.items()):
        if key > "releases":
            break
        yield f"{serialize(key)}:{serialize(value)},"
    yield '"releases":['
    for index, release in enumerate(releases):
        yield ("," if index else "") + serialize(release)
    yield "]"
    for key, value in sorted(head.items()):
        if key > "releases":
            yield f",{serialize(key)}:{serialize(value)}"
    yield "}"
