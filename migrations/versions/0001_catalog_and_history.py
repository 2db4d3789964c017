"""Catalog (providers, offerings, facets, full-text search), event history, projection positions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _document() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _values_table(name: str, column: str) -> None:
    op.create_table(
        name,
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column(column, sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["offerings.id"],
            name=op.f(f"fk_{name}_offering_id_offerings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offering_id", column, name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_{column}_offering_id"), name, [column, "offering_id"])


def upgrade() -> None:
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projection_positions")),
    )
    op.create_table(
        "event_history",
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("changes", _document(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("aggregate_id", "version", name=op.f("pk_event_history")),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("legal_name", sa.String(length=300), nullable=False),
        sa.Column("identifier_scheme", sa.String(length=40), nullable=False),
        sa.Column("identifier_id", sa.String(length=100), nullable=False),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("contact", _document(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
    )
    op.create_index(op.f("ix_providers_legal_name"), "providers", ["legal_name"])
    op.create_table(
        "offerings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("search_key", sa.BigInteger(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("provider_name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("model_type", sa.String(length=32), nullable=True),
        sa.Column("delivery", sa.String(length=32), nullable=True),
        sa.Column("price_unit", sa.String(length=40), nullable=True),
        sa.Column("list_price_cents", sa.BigInteger(), nullable=True),
        sa.Column("evidence_tier", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", _document(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_offerings_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offerings")),
        sa.UniqueConstraint("search_key", name=op.f("uq_offerings_search_key")),
    )
    op.create_index(op.f("ix_offerings_provider_id"), "offerings", ["provider_id"])
    op.create_index(op.f("ix_offerings_status_published_at"), "offerings", ["status", "published_at"])
    op.create_index(
        op.f("ix_offerings_status_list_price_cents"), "offerings", ["status", "list_price_cents"]
    )
    op.create_index(op.f("ix_offerings_status_model_type"), "offerings", ["status", "model_type"])
    _values_table("offering_subjects", "subject")
    _values_table("offering_grade_bands", "grade_band")
    _values_table("offering_interoperability", "standard")

    # Full-text search, native to each database.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE offerings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            " setweight(to_tsvector('english', coalesce(title, '')), 'A')"
            " || setweight(to_tsvector('english', coalesce(provider_name, '')), 'A')"
            " || setweight(to_tsvector('english', coalesce(summary, '')), 'B')"
            " || setweight(to_tsvector('english', coalesce(description, '')), 'C')"
            ") STORED"
        )
        op.execute("CREATE INDEX ix_offerings_search_vector ON offerings USING gin (search_vector)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE offering_search USING fts5("
            "title, summary, description, provider_name, tokenize = 'porter unicode61')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS offering_search")
    for name in ("offering_subjects", "offering_grade_bands", "offering_interoperability"):
        op.drop_table(name)
    op.drop_table("offerings")
    op.drop_table("providers")
    op.drop_table("event_history")
    op.drop_table("projection_positions")
