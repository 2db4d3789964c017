"""Designations, providers' privacy agreements, outcome reports.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _document() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "offering_designations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("criteria_url", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offering_designations")),
    )
    op.create_index(op.f("ix_offering_designations_offering_id"), "offering_designations", ["offering_id"])
    op.create_index(
        op.f("ix_offering_designations_name_offering_id"), "offering_designations", ["name", "offering_id"]
    )
    op.create_table(
        "provider_privacy_agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("district_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("adopted_from_district_id", sa.Uuid(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("document_url", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_privacy_agreements")),
    )
    op.create_index(
        op.f("ix_provider_privacy_agreements_provider_id"), "provider_privacy_agreements", ["provider_id"]
    )
    op.create_index(
        op.f("ix_provider_privacy_agreements_state_provider_id"),
        "provider_privacy_agreements",
        ["state", "provider_id"],
    )
    op.create_table(
        "outcome_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("offering_ids", _document(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("rural", sa.Boolean(), nullable=False),
        sa.Column("small", sa.Boolean(), nullable=False),
        sa.Column("students_served", sa.Integer(), nullable=False),
        sa.Column("implementation", _document(), nullable=False),
        sa.Column("results", _document(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("renewing", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_reports")),
    )
    op.create_index(
        op.f("ix_outcome_reports_school_year_provider_id"), "outcome_reports", ["school_year", "provider_id"]
    )
    op.create_index(
        op.f("ix_outcome_reports_contract_id_district_id_school_year"),
        "outcome_reports",
        ["contract_id", "district_id", "school_year"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("outcome_reports")
    op.drop_table("provider_privacy_agreements")
    op.drop_table("offering_designations")
