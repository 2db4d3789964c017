"""Read-model tables. Alembic migrations in ``migrations/`` create exactly these (a test compares)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Document = JSON().with_variant(JSONB(), "postgresql")

projection_positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)

providers = Table(
    "providers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("legal_name", String(300), nullable=False),
    Column("identifier_scheme", String(40), nullable=False),
    Column("identifier_id", String(100), nullable=False),
    Column("website", Text, nullable=True),
    Column("contact", Document, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "legal_name"),
)

offerings = Table(
    "offerings",
    metadata,
    Column("id", Uuid, primary_key=True),
    # The log position of the offering's first event: a stable integer key (the full-text index
    # on SQLite is keyed by integers).
    Column("search_key", BigInteger, nullable=False, unique=True),
    Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False),
    Column("provider_name", String(300), nullable=False),
    Column("status", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("model_type", String(32), nullable=True),
    Column("delivery", String(32), nullable=True),
    Column("price_unit", String(40), nullable=True),
    Column("list_price_cents", BigInteger, nullable=True),
    Column("evidence_tier", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("document", Document, nullable=False),
    Index(None, "provider_id"),
    Index(None, "status", "published_at"),
    Index(None, "status", "list_price_cents"),
    Index(None, "status", "model_type"),
)


def _offering_values_table(name: str, column: str) -> Table:
    return Table(
        name,
        metadata,
        Column(
            "offering_id",
            Uuid,
            ForeignKey("offerings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column(column, String(40), primary_key=True),
        Index(None, column, "offering_id"),
    )


offering_subjects = _offering_values_table("offering_subjects", "subject")
offering_grade_bands = _offering_values_table("offering_grade_bands", "grade_band")
offering_interoperability = _offering_values_table("offering_interoperability", "standard")

event_history = Table(
    "event_history",
    metadata,
    Column("aggregate_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("aggregate_type", String(40), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("changes", Document, nullable=False),
    Column("position", BigInteger, nullable=False),
)
