"""Award register (exports) and OCDS releases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _document() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "award_register",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("solicitation_id", sa.Uuid(), nullable=True),
        sa.Column("consortium_id", sa.Uuid(), nullable=True),
        sa.Column("consortium_name", sa.String(length=200), nullable=True),
        sa.Column("lead_district_id", sa.Uuid(), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("district_state", sa.String(length=2), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("provider_name", sa.String(length=300), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("method_rationale", sa.Text(), nullable=False),
        sa.Column("contract_type", sa.String(length=32), nullable=False),
        sa.Column("selection_reason", sa.Text(), nullable=False),
        sa.Column("rejections", _document(), nullable=False),
        sa.Column("price_basis", sa.Text(), nullable=False),
        sa.Column("cost_price_analysis", sa.Text(), nullable=True),
        sa.Column("justification", _document(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("list_unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("contract_id", "district_id", name=op.f("pk_award_register")),
    )
    for name, columns in (
        ("ix_award_register_awarded_at_contract_id_district_id", ["awarded_at", "contract_id", "district_id"]),
        ("ix_award_register_consortium_id_awarded_at", ["consortium_id", "awarded_at"]),
        ("ix_award_register_district_id_awarded_at", ["district_id", "awarded_at"]),
        ("ix_award_register_provider_id_awarded_at", ["provider_id", "awarded_at"]),
        ("ix_award_register_method_awarded_at", ["method", "awarded_at"]),
    ):
        op.create_index(op.f(name), "award_register", columns)
    op.create_table(
        "ocds_releases",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("ocid", sa.String(length=120), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tags", _document(), nullable=False),
        sa.Column("release", _document(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocds_releases")),
        sa.UniqueConstraint("position", name=op.f("uq_ocds_releases_position")),
    )
    op.create_index(op.f("ix_ocds_releases_ocid_position"), "ocds_releases", ["ocid", "position"])
    op.create_index(op.f("ix_ocds_releases_date_position"), "ocds_releases", ["date", "position"])
    op.create_table(
        "ocds_state",
        sa.Column("ocid", sa.String(length=120), nullable=False),
        sa.Column("document", _document(), nullable=False),
        sa.PrimaryKeyConstraint("ocid", name=op.f("pk_ocds_state")),
    )


def downgrade() -> None:
    op.drop_table("ocds_state")
    op.drop_table("ocds_releases")
    op.drop_table("award_register")
