"""The catalog read model: providers, offerings (every status), their multi-valued facets, and the
full-text index of published offerings; beside them, the trust signals shown on offerings:
designations (labels) and providers' signed data privacy agreements.

A designation is added to its offering's document and to ``offering_designations``; it never
touches the columns search filters, ranks or sorts on, nor the offering's version. Whether a
designation is active, or an agreement in force, depends on the day: readers decide that from the
recorded dates (see ``projections.search`` and ``projections.trust_queries``).

PostgreSQL indexes text through a generated ``tsvector`` column (see the migration); SQLite keeps
an FTS5 table, ``offering_search``, keyed by ``offerings.search_key``, maintained here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text, update

from events.designations import DesignationIssued, DesignationRevoked
from events.offerings import DETAIL_FIELDS, OfferingDrafted, OfferingPublished, OfferingRevised, OfferingWithdrawn
from events.plain import to_plain
from events.providers import ProviderPrivacyAgreementRecorded, ProviderRegistered
from projections.runner import Handler, Projection
from projections.tables import (
    offering_designations,
    offering_grade_bands,
    offering_interoperability,
    offering_subjects,
    offerings,
    provider_privacy_agreements,
    providers,
)

VALUE_TABLES = {
    "subjects": (offering_subjects, "subject"),
    "grade_bands": (offering_grade_bands, "grade_band"),
    "interoperability": (offering_interoperability, "standard"),
}


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
        "summary": document.get("summary"),
        "description": document.get("description"),
        "model_type": document.get("model_type"),
        "delivery": document.get("delivery"),
        "price_unit": pricing["unit"] if pricing else None,
        "list_price_cents": price_cents(pricing),
        "evidence_tier": evidence["tier"] if evidence else None,
    }


class CatalogProjection(Projection):
    name = "catalog"
    tables = (
        providers,
        offerings,
        offering_subjects,
        offering_grade_bands,
        offering_interoperability,
        offering_designations,
        provider_privacy_agreements,
    )

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

    def reset(self, conn: Connection) -> None:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM offering_search"))
        super().reset(conn)

    # Providers -------------------------------------------------------------------------------

    def _provider_registered(self, conn: Connection, event: ProviderRegistered, _: int) -> None:
        conn.execute(
            insert(providers).values(
                id=event.originator_id,
                legal_name=event.legal_name,
                identifier_scheme=event.identifier.scheme,
                identifier_id=event.identifier.id,
                website=event.website,
                contact=to_plain(event.contact),
                registered_at=event.timestamp,
                version=event.originator_version,
            )
        )

    # Offerings -------------------------------------------------------------------------------

    def _drafted(self, conn: Connection, event: OfferingDrafted, position: int) -> None:
        provider_name = conn.execute(
            select(providers.c.legal_name).where(providers.c.id == event.provider_id)
        ).scalar_one()
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
            **{name: to_plain(getattr(event, name)) for name in DETAIL_FIELDS},
            "designations": [],
        }
        conn.execute(
            insert(offerings).values(
                id=event.originator_id,
                search_key=position,
                provider_id=event.provider_id,
                provider_name=provider_name,
                status="draft",
                version=event.originator_version,
                created_at=event.timestamp,
                updated_at=event.timestamp,
                document=document,
                **offering_columns(document),
            )
        )
        self._write_values(conn, event.originator_id, document, DETAIL_FIELDS)

    def _revised(self, conn: Connection, event: OfferingRevised, _: int) -> None:
        changes = {name: to_plain(value) for name, value in event.changes.items()}
        row = self._load(conn, event)
        document = {**row.document, **changes, **self._stamp(event)}
        self._store(conn, event, document)
        self._write_values(conn, event.originator_id, document, changes, replace=True)
        if document["status"] == "published":
            self._index(conn, row.search_key, document)

    def _published(self, conn: Connection, event: OfferingPublished, _: int) -> None:
        row = self._load(conn, event)
        stamp = event.timestamp.isoformat()
        document = {**row.document, "status": "published", "published_at": stamp, **self._stamp(event)}
        self._store(conn, event, document, status="published", published_at=event.timestamp)
        self._index(conn, row.search_key, document)

    def _withdrawn(self, conn: Connection, event: OfferingWithdrawn, _: int) -> None:
        row = self._load(conn, event)
        document = {
            **row.document,
            "status": "withdrawn",
            "withdrawn_at": event.timestamp.isoformat(),
            "withdrawal_reason": event.reason,
            **self._stamp(event),
        }
        self._store(conn, event, document, status="withdrawn")
        self._unindex(conn, row.search_key)

    # Trust signals ---------------------------------------------------------------------------

    def _designation_issued(self, conn: Connection, event: DesignationIssued, _: int) -> None:
        conn.execute(
            insert(offering_designations).values(
                id=event.originator_id,
                offering_id=event.offering_id,
                name=event.name,
                issuer=event.issuer,
                criteria_url=event.criteria_url,
                valid_from=event.valid_from,
                valid_until=event.valid_until,
                issued_at=event.timestamp,
            )
        )
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
        self._relabel(conn, event.offering_id, lambda labels: [*labels, label])

    def _designation_revoked(self, conn: Connection, event: DesignationRevoked, _: int) -> None:
        conn.execute(
            update(offering_designations)
            .where(offering_designations.c.id == event.originator_id)
            .values(revoked_at=event.timestamp, revocation_reason=event.reason)
        )
        offering_id = conn.execute(
            select(offering_designations.c.offering_id).where(
                offering_designations.c.id == event.originator_id
            )
        ).scalar_one()
        revoked = {"revoked_at": event.timestamp.isoformat(), "revocation_reason": event.reason}
        designation_id = str(event.originator_id)
        self._relabel(
            conn,
            offering_id,
            lambda labels: [
                {**label, **revoked} if label["id"] == designation_id else label for label in labels
            ],
        )

    @staticmethod
    def _relabel(conn: Connection, offering_id: Any, change: Any) -> None:
        """Rewrite the document's designations only: the offering's version, times and every
        searchable column stay as they are (a designation never changes search)."""
        document = conn.execute(
            select(offerings.c.document).where(offerings.c.id == offering_id)
        ).scalar_one()
        document = {**document, "designations": change(document.get("designations") or [])}
        conn.execute(update(offerings).where(offerings.c.id == offering_id).values(document=document))

    def _privacy_agreement_recorded(
        self, conn: Connection, event: ProviderPrivacyAgreementRecorded, _: int
    ) -> None:
        agreement = event.agreement
        conn.execute(
            insert(provider_privacy_agreements).values(
                id=agreement.id,
                provider_id=event.originator_id,
                scope=agreement.scope.value,
                state=agreement.state,
                district_id=agreement.district_id,
                kind=agreement.kind.value,
                adopted_from_district_id=agreement.adopted_from_district_id,
                signed_on=agreement.signed_on,
                expires_on=agreement.expires_on,
                document_url=agreement.document_url,
                recorded_at=event.timestamp,
            )
        )

    # Helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _stamp(event: Any) -> dict[str, Any]:
        return {"version": event.originator_version, "updated_at": event.timestamp.isoformat()}

    @staticmethod
    def _load(conn: Connection, event: Any) -> Any:
        return conn.execute(
            select(offerings.c.search_key, offerings.c.document).where(
                offerings.c.id == event.originator_id
            )
        ).one()

    @staticmethod
    def _store(conn: Connection, event: Any, document: dict[str, Any], **extra: Any) -> None:
        conn.execute(
            update(offerings)
            .where(offerings.c.id == event.originator_id)
            .values(
                version=event.originator_version,
                updated_at=event.timestamp,
                document=document,
                **offering_columns(document),
                **extra,
            )
        )

    @staticmethod
    def _write_values(
        conn: Connection,
        offering_id: Any,
        document: dict[str, Any],
        fields: Any,
        replace: bool = False,
    ) -> None:
        for field, (table, column) in VALUE_TABLES.items():
            if field not in fields:
                continue
            if replace:
                conn.execute(delete(table).where(table.c.offering_id == offering_id))
            values = document.get(field) or []
            if values:
                conn.execute(insert(table), [{"offering_id": offering_id, column: v} for v in values])

    @staticmethod
    def _index(conn: Connection, search_key: int, document: dict[str, Any]) -> None:
        if conn.dialect.name != "sqlite":
            return  # PostgreSQL: the generated tsvector column follows the row
        conn.execute(text("DELETE FROM offering_search WHERE rowid = :k"), {"k": search_key})
        conn.execute(
            text(
                "INSERT INTO offering_search (rowid, title, summary, description, provider_name) "
                "VALUES (:k, :title, :summary, :description, :provider_name)"
            ),
            {
                "k": search_key,
                "title": document["title"],
                "summary": document.get("summary") or "",
                "description": document.get("description") or "",
                "provider_name": document["provider"]["name"],
            },
        )

    @staticmethod
    def _unindex(conn: Connection, search_key: int) -> None:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM offering_search WHERE rowid = :k"), {"k": search_key})
