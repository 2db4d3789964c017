"""The catalog as an in-memory index per web process: facet bit sets and a change position on
offerings, a position on privacy agreements, full text per field (``offering_text_<field>``: an
FTS5 table on SQLite, a table of stripped tsvectors with a GIN index on PostgreSQL, replacing the
generated ``search_vector``); the per-value facet tables and the status indexes that only the old
SQL search used are gone.

The catalog's rows gain values that only a replay can fill in, so this migration empties the
catalog projection and sets its position to zero: the projection worker (or
``flask projections rebuild --name catalog``) rebuilds it from the event log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

VALUE_TABLES = (
    ("offering_subjects", "subject"),
    ("offering_grade_bands", "grade_band"),
    ("offering_interoperability", "standard"),
)
STATUS_INDEXES = (
    ("ix_offerings_status_published_at", ["status", "published_at"]),
    ("ix_offerings_status_list_price_cents", ["status", "list_price_cents"]),
    ("ix_offerings_status_model_type", ["status", "model_type"]),
)
CATALOG_TABLES = ("offering_designations", "provider_privacy_agreements", "offerings", "providers")
SEARCH_FIELDS = ("title", "provider_name", "summary", "description")


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _empty_the_catalog() -> None:
    """The catalog is rebuilt from the event log: its rows could not say what they now must."""
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name in ("offering_search", *(f"offering_text_{f}" for f in SEARCH_FIELDS)):
        if name in present:
            op.execute(f"DELETE FROM {name}")
    for name in CATALOG_TABLES:
        op.execute(f"DELETE FROM {name}")
    op.execute("UPDATE projection_positions SET position = 0 WHERE name = 'catalog'")


def upgrade() -> None:
    for name, _ in VALUE_TABLES:
        op.drop_table(name)
    _empty_the_catalog()
    for name, _ in STATUS_INDEXES:
        op.drop_index(name, table_name="offerings")
    with op.batch_alter_table("offerings") as batch:
        for column in ("subject_bits", "grade_band_bits", "interoperability_bits"):
            batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("changed_at", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index(op.f("ix_offerings_changed_at"), "offerings", ["changed_at"])
    with op.batch_alter_table("provider_privacy_agreements") as batch:
        batch.add_column(sa.Column("position", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index(
        op.f("ix_provider_privacy_agreements_position"), "provider_privacy_agreements", ["position"]
    )

    # Full text, native to each database, one index per field: a search learns from the
    # database which offerings hold a word and in which fields (title, provider name, summary,
    # description), and ranks by where it was found and how rare it is (projections.search).
    # SQLite: an FTS5 table per field. PostgreSQL: a narrow table per field holding the field's
    # words (a stripped tsvector) with a GIN index, so a lookup visits few heap pages.
    if _is_sqlite():
        op.execute("DROP TABLE offering_search")
    else:
        op.execute("DROP INDEX ix_offerings_search_vector")
        op.execute("ALTER TABLE offerings DROP COLUMN search_vector")
    for field in SEARCH_FIELDS:
        _create_text_table(field)


def _create_text_table(field: str) -> None:
    table = f"offering_text_{field}"
    if _is_sqlite():
        op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({field}, tokenize = 'porter unicode61')")
    else:
        op.execute(f"CREATE TABLE {table} (search_key bigint PRIMARY KEY, words tsvector NOT NULL)")
        op.execute(f"CREATE INDEX ix_{table}_words ON {table} USING gin (words)")


def downgrade() -> None:
    for field in SEARCH_FIELDS:
        op.execute(f"DROP TABLE offering_text_{field}")
    if _is_sqlite():
        op.execute(
            "CREATE VIRTUAL TABLE offering_search USING fts5("
            "title, summary, description, provider_name, tokenize = 'porter unicode61')"
        )
    else:
        op.execute(
            "ALTER TABLE offerings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            " setweight(to_tsvector('english', coalesce(title, '')), 'A')"
            " || setweight(to_tsvector('english', coalesce(provider_name, '')), 'A')"
            " || setweight(to_tsvector('english', coalesce(summary, '')), 'B')"
            " || setweight(to_tsvector('english', coalesce(description, '')), 'C')"
            ") STORED"
        )
        op.execute("CREATE INDEX ix_offerings_search_vector ON offerings USING gin (search_vector)")
    _empty_the_catalog()
    op.drop_index(
        op.f("ix_provider_privacy_agreements_position"), table_name="provider_privacy_agreements"
    )
    with op.batch_alter_table("provider_privacy_agreements") as batch:
        batch.drop_column("position")
    op.drop_index(op.f("ix_offerings_changed_at"), table_name="offerings")
    with op.batch_alter_table("offerings") as batch:
        for column in ("changed_at", "interoperability_bits", "grade_band_bits", "subject_bits"):
            batch.drop_column(column)
    for name, columns in STATUS_INDEXES:
        op.create_index(name, "offerings", columns)
    for name, column in VALUE_TABLES:
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
