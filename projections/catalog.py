"""The catalog read model: providers, offerings (every status), their multi-valued facets, and the
full-text index of published offerings; beside them, the trust signals shown on offerings:
designations (labels) and providers' signed data privacy agreements.

A designation is added to its offering's document and to ``offering_designations``; it never
touches the columns search filters, ranks or sorts on, nor the offering's version. Whether a
designation is active, or an agreement in force, depends on the day: readers decide that from the
recorded dates (see ``projections.search`` and ``projections.trust_queries``).

Searching and faceting happen in each web process's catalog index (``projections.catalog_index``),
which reads the rows changed since it last looked (``changed_at``, the log position of the last
change). Multi-valued facets are stored as bit sets (``projections.facet_codes``).

Full text is native to each database, per searchable field (``SEARCH_FIELDS``): one table per
field, ``offering_text_<field>``, keyed by ``offerings.search_key``, holding the published
offerings and maintained here. SQLite: an FTS5 table (porter stemmer). PostgreSQL: the field's
words as a stripped ``tsvector`` (English configuration) with a GIN index.

A batch of events is applied in memory to the offerings it touches (loaded once, from the
runner's snapshot, before the write transaction begins), then each table is written once
(``projections.bulk``: one driver call per table): most of a read model's speed comes from not
paying a statement per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable
from uuid import UUID

from sqlalchemy import Connection, bindparam, insert, select, text, update

from events.designations import DesignationIssued, DesignationRevoked
from events.offerings import DETAIL_FIELDS, OfferingDrafted, OfferingPublished, OfferingRevised, OfferingWithdrawn
from events.plain import event_changes, to_plain
from events.providers import ProviderPrivacyAgreementRecorded, ProviderRegistered
from projections.bulk import PreparedWrite, prepare_insert, prepare_update
from projections.db import empty_tables
from projections.facet_codes import GRADE_BAND, INTEROPERABILITY, SUBJECT, bits
from projections.runner import Handler, Write, WritingProjection
from projections.tables import (
    SEARCH_FIELDS,
    offering_designations,
    offerings,
    provider_privacy_agreements,
    providers,
)


def price_cents(pricing: dict[str, Any] | None) -> int | None:
    if not pricing:
        return None
    return int((Decimal(pricing["list_price"]) * 100).to_integral_value())


def offering_columns(document: dict[str, Any]) -> dict[str, Any]:
    """The searchable, sortable columns derived from an offering's document."""
    pricing = document.get("pricing")
    evidence = document.get("evidence")
    return {
        "title": document["title"],
        "model_type": document.get("model_type"),
        "delivery": document.get("delivery"),
        "price_unit": pricing["unit"] if pricing else None,
        "list_price_cents": price_cents(pricing),
        "evidence_tier": evidence["tier"] if evidence else None,
        "subject_bits": bits(SUBJECT, document.get("subjects")),
        "grade_band_bits": bits(GRADE_BAND, document.get("grade_bands")),
        "interoperability_bits": bits(INTEROPERABILITY, document.get("interoperability")),
    }


CHUNK = 500  # ids per IN (...) list


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _execute(statement: Any, parameters: Any = None) -> Write:
    """A statement (with its parameters, if any) to run in the batch's transaction."""
    return lambda conn: conn.execute(statement, parameters)


@dataclass
class _Offering:
    id: UUID
    search_key: int
    provider_id: UUID
    provider_name: str
    status: str
    version: int
    created_at: Any
    updated_at: Any
    published_at: Any
    changed_at: int
    document: dict[str, Any]
    new: bool = False
    dirty: bool = False
    search_dirty: bool = False


class _Batch:
    """The catalog's unit of work for one batch of events."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.offerings: dict[UUID, _Offering] = {}
        self.provider_names: dict[UUID, str] = {}
        self.new_providers: list[dict[str, Any]] = []
        self.new_designations: list[dict[str, Any]] = []
        self.designation_offerings: dict[UUID, UUID] = {}
        self.revocations: list[dict[str, Any]] = []
        self.agreements: list[dict[str, Any]] = []

    def preload(self, items: list[tuple[int, Any]]) -> None:
        offering_ids: set[UUID] = set()
        provider_ids: set[UUID] = set()
        designation_ids: set[UUID] = set()
        for _, event in items:
            if isinstance(event, OfferingDrafted):
                provider_ids.add(event.provider_id)
            elif isinstance(event, (OfferingRevised, OfferingPublished, OfferingWithdrawn)):
                offering_ids.add(event.originator_id)
            elif isinstance(event, DesignationIssued):
                offering_ids.add(event.offering_id)
            elif isinstance(event, DesignationRevoked):
                designation_ids.add(event.originator_id)
        for chunk in _chunks(sorted(designation_ids, key=str)):
            rows = self.conn.execute(
                select(offering_designations.c.id, offering_designations.c.offering_id).where(
                    offering_designations.c.id.in_(chunk)
                )
            )
            for designation_id, offering_id in rows:
                self.designation_offerings[designation_id] = offering_id
                offering_ids.add(offering_id)
        for chunk in _chunks(sorted(provider_ids, key=str)):
            rows = self.conn.execute(
                select(providers.c.id, providers.c.legal_name).where(providers.c.id.in_(chunk))
            )
            self.provider_names.update({row.id: row.legal_name for row in rows})
        for chunk in _chunks(sorted(offering_ids, key=str)):
            rows = self.conn.execute(
                select(
                    offerings.c.id,
                    offerings.c.search_key,
                    offerings.c.provider_id,
                    offerings.c.provider_name,
                    offerings.c.status,
                    offerings.c.version,
                    offerings.c.created_at,
                    offerings.c.updated_at,
                    offerings.c.published_at,
                    offerings.c.changed_at,
                    offerings.c.document,
                ).where(offerings.c.id.in_(chunk))
            )
            for row in rows:
                self.offerings[row.id] = _Offering(*row[:10], document=dict(row.document))

    def writes(self) -> list[Write]:
        """Every table's writes for this batch, worked out (rows built, values converted) and
        ready to run in the batch's transaction."""
        dialect = self.conn.dialect
        writes: list[Write] = []
        if self.new_providers:
            writes.append(_execute(insert(providers), self.new_providers))
        new = [o for o in self.offerings.values() if o.new]
        changed = [o for o in self.offerings.values() if o.dirty and not o.new]
        writes.append(prepare_insert(dialect, offerings, [self._row(o) for o in new]))
        writes.append(prepare_update(dialect, offerings, [self._changes(o) for o in changed], key=("id",)))
        if self.new_designations:
            writes.append(_execute(insert(offering_designations), self.new_designations))
        if self.revocations:
            writes.append(_execute(_REVOKE_DESIGNATION, self.revocations))
        if self.agreements:
            writes.append(_execute(insert(provider_privacy_agreements), self.agreements))
        writes.extend(self._search_writes())
        return writes

    def _search_writes(self) -> list[Write]:
        """The full-text tables, one per searchable field, hold the published offerings."""
        touched = [o for o in self.offerings.values() if o.search_dirty]
        if not touched:
            return []
        sqlite = self.conn.dialect.name == "sqlite"
        key = "rowid" if sqlite else "search_key"
        writes: list[Write] = []
        for chunk in _chunks([o.search_key for o in touched if not o.new]):
            keys = ",".join(str(int(k)) for k in chunk)
            for table in TEXT_TABLES.values():
                writes.append(_execute(text(f"DELETE FROM {table} WHERE {key} IN ({keys})")))
        published = [o for o in touched if o.status == "published"]
        if not published:
            return writes
        for field, table in TEXT_TABLES.items():
            values = [(o.search_key, _text_of(o, field)) for o in published]
            if sqlite:
                writes.append(PreparedWrite(f"INSERT INTO {table} (rowid, {field}) VALUES (?, ?)", values))
            else:  # the words only (no positions): lookups need no more, and rows stay narrow
                writes.append(
                    PreparedWrite(
                        f"INSERT INTO {table} (search_key, words) SELECT k, {POSTGRES_WORDS} "
                        "FROM unnest(%s::bigint[], %s::text[]) AS u(k, v)",
                        ([k for k, _ in values], [v for _, v in values]),
                        many=False,
                    )
                )
        return writes

    @classmethod
    def _changes(cls, o: _Offering) -> dict[str, Any]:
        row = cls._row(o)
        for fixed in ("search_key", "provider_id", "created_at"):
            del row[fixed]
        return row

    @staticmethod
    def _row(o: _Offering) -> dict[str, Any]:
        return {
            "id": o.id,
            "search_key": o.search_key,
            "provider_id": o.provider_id,
            "provider_name": o.provider_name,
            "status": o.status,
            "version": o.version,
            "created_at": o.created_at,
            "updated_at": o.updated_at,
            "published_at": o.published_at,
            "changed_at": o.changed_at,
            "document": o.document,
            **offering_columns(o.document),
        }


_REVOKE_DESIGNATION = (
    update(offering_designations)
    .where(offering_designations.c.id == bindparam("b_id"))
    .values(revoked_at=bindparam("b_revoked_at"), revocation_reason=bindparam("b_reason"))
)


TEXT_TABLES = {field: f"offering_text_{field}" for field in SEARCH_FIELDS}

POSTGRES_WORDS = r"strip(to_tsvector('english', regexp_replace(v, '\W+', ' ', 'g')))"
"""A text's words on PostgreSQL (of ``v``), split as SQLite's FTS5 splits them and as a search
splits its words: at anything that is not a letter, digit or underscore. PostgreSQL's own parser
keeps "-12" of "grades 9-12" (a signed number), "x.org" and "info@x.org" whole, so a search for
"12" or "org" found them on SQLite and not on PostgreSQL."""


def _text_of(offering: _Offering, field: str) -> str:
    if field == "provider_name":
        return offering.provider_name
    return offering.document.get(field) or ""


class CatalogProjection(WritingProjection):
    name = "catalog"
    tables = (providers, offerings, offering_designations, provider_privacy_agreements)
    other_tables = tuple(TEXT_TABLES.values())

    def handlers(self) -> dict[type, Handler]:
        return {
            ProviderRegistered: self._provider_registered,
            OfferingDrafted: self._drafted,
            OfferingRevised: self._revised,
            OfferingPublished: self._published,
            OfferingWithdrawn: self._withdrawn,
            DesignationIssued: self._designation_issued,
            DesignationRevoked: self._designation_revoked,
            ProviderPrivacyAgreementRecorded: self._privacy_agreement_recorded,
        }

    def prepare(self, snapshot: Connection, items: list[tuple[int, Any]]) -> list[Write]:
        """The batch applied in memory to the offerings it touches (read from ``snapshot``),
        and each table's writes built from the result."""
        batch = _Batch(snapshot)
        batch.preload(items)
        handlers = self._handlers_by_type()
        for position, event in items:
            handlers[type(event)](batch, event, position)
        return batch.writes()

    def reset(self, conn: Connection) -> None:
        empty_tables(conn, [*self.other_tables, *(table.name for table in reversed(self.tables))])

    # Providers -------------------------------------------------------------------------------

    @staticmethod
    def _provider_registered(batch: _Batch, event: ProviderRegistered, _: int) -> None:
        batch.provider_names[event.originator_id] = event.legal_name
        batch.new_providers.append(
            {
                "id": event.originator_id,
                "legal_name": event.legal_name,
                "identifier_scheme": event.identifier.scheme,
                "identifier_id": event.identifier.id,
                "website": event.website,
                "contact": to_plain(event.contact),
                "registered_at": event.timestamp,
                "version": event.originator_version,
            }
        )

    # Offerings -------------------------------------------------------------------------------

    @staticmethod
    def _drafted(batch: _Batch, event: OfferingDrafted, position: int) -> None:
        provider_name = batch.provider_names[event.provider_id]
        said = event_changes(event)
        document = {
            "id": str(event.originator_id),
            "provider": {"id": str(event.provider_id), "name": provider_name},
            "status": "draft",
            "version": event.originator_version,
            "created_at": event.timestamp.isoformat(),
            "updated_at": event.timestamp.isoformat(),
            "published_at": None,
            "withdrawn_at": None,
            "withdrawal_reason": None,
            **{name: said[name] for name in DETAIL_FIELDS},
            "designations": [],
        }
        batch.offerings[event.originator_id] = _Offering(
            id=event.originator_id,
            search_key=position,
            provider_id=event.provider_id,
            provider_name=provider_name,
            status="draft",
            version=event.originator_version,
            created_at=event.timestamp,
            updated_at=event.timestamp,
            published_at=None,
            changed_at=position,
            document=document,
            new=True,
            dirty=True,
        )

    @staticmethod
    def _touch(batch: _Batch, event: Any, position: int, **document_changes: Any) -> _Offering:
        offering = batch.offerings[event.originator_id]
        offering.version = event.originator_version
        offering.updated_at = event.timestamp
        offering.changed_at = position
        offering.document = {
            **offering.document,
            **document_changes,
            "version": event.originator_version,
            "updated_at": event.timestamp.isoformat(),
        }
        offering.dirty = True
        return offering

    def _revised(self, batch: _Batch, event: OfferingRevised, position: int) -> None:
        changes = event_changes(event)["changes"]
        offering = self._touch(batch, event, position, **changes)
        if offering.status == "published":
            offering.search_dirty = True

    def _published(self, batch: _Batch, event: OfferingPublished, position: int) -> None:
        offering = self._touch(
            batch, event, position, status="published", published_at=event.timestamp.isoformat()
        )
        offering.status = "published"
        offering.published_at = event.timestamp
        offering.search_dirty = True

    def _withdrawn(self, batch: _Batch, event: OfferingWithdrawn, position: int) -> None:
        offering = self._touch(
            batch,
            event,
            position,
            status="withdrawn",
            withdrawn_at=event.timestamp.isoformat(),
            withdrawal_reason=event.reason,
        )
        offering.status = "withdrawn"
        offering.search_dirty = True

    # Trust signals ---------------------------------------------------------------------------

    def _designation_issued(self, batch: _Batch, event: DesignationIssued, position: int) -> None:
        batch.new_designations.append(
            {
                "id": event.originator_id,
                "offering_id": event.offering_id,
                "name": event.name,
                "issuer": event.issuer,
                "criteria_url": event.criteria_url,
                "valid_from": event.valid_from,
                "valid_until": event.valid_until,
                "issued_at": event.timestamp,
                "revoked_at": None,
                "revocation_reason": None,
            }
        )
        batch.designation_offerings[event.originator_id] = event.offering_id
        label = {
            "id": str(event.originator_id),
            "name": event.name,
            "issuer": event.issuer,
            "criteria_url": event.criteria_url,
            "valid_from": event.valid_from.isoformat(),
            "valid_until": to_plain(event.valid_until),
            "issued_at": event.timestamp.isoformat(),
            "revoked_at": None,
            "revocation_reason": None,
        }
        self._relabel(batch, event.offering_id, position, lambda labels: [*labels, label])

    def _designation_revoked(self, batch: _Batch, event: DesignationRevoked, position: int) -> None:
        issued = next(
            (d for d in batch.new_designations if d["id"] == event.originator_id), None
        )
        if issued is not None:  # issued and revoked in the same batch
            issued.update(revoked_at=event.timestamp, revocation_reason=event.reason)
        else:
            batch.revocations.append(
                {"b_id": event.originator_id, "b_revoked_at": event.timestamp, "b_reason": event.reason}
            )
        revoked = {"revoked_at": event.timestamp.isoformat(), "revocation_reason": event.reason}
        designation_id = str(event.originator_id)
        self._relabel(
            batch,
            batch.designation_offerings[event.originator_id],
            position,
            lambda labels: [
                {**label, **revoked} if label["id"] == designation_id else label for label in labels
            ],
        )

    @staticmethod
    def _relabel(batch: _Batch, offering_id: Any, position: int, change: Any) -> None:
        """Rewrite the document's designations only: the offering's version, times and every
        searchable column stay as they are (a designation never changes search); the change
        position moves, so each catalog index re-reads the offering's labels."""
        offering = batch.offerings[offering_id]
        offering.changed_at = position
        offering.document = {
            **offering.document,
            "designations": change(offering.document.get("designations") or []),
        }
        offering.dirty = True

    @staticmethod
    def _privacy_agreement_recorded(
        batch: _Batch, event: ProviderPrivacyAgreementRecorded, position: int
    ) -> None:
        agreement = event.agreement
        batch.agreements.append(
            {
                "id": agreement.id,
                "provider_id": event.originator_id,
                "scope": agreement.scope.value,
                "state": agreement.state,
                "district_id": agreement.district_id,
                "kind": agreement.kind.value,
                "adopted_from_district_id": agreement.adopted_from_district_id,
                "signed_on": agreement.signed_on,
                "expires_on": agreement.expires_on,
                "document_url": agreement.document_url,
                "recorded_at": event.timestamp,
                "position": position,
            }
        )
