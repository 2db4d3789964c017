"""Procurement: districts, consortia and members, solicitations, the proposal index, contracts and
their parties.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _document() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _moment() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str, **kwargs: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), **kwargs
    )


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("nces_id", sa.String(length=7), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("locale_code", sa.Integer(), nullable=False),
        sa.Column("enrollment", sa.Integer(), nullable=False),
        sa.Column("average_daily_attendance", sa.Integer(), nullable=False),
        sa.Column("rural", sa.Boolean(), nullable=False),
        sa.Column("small", sa.Boolean(), nullable=False),
        sa.Column("registered_at", _moment(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("nces_id", name=op.f("uq_districts_nces_id")),
    )
    op.create_index(op.f("ix_districts_state_name"), "districts", ["state", "name"])

    op.create_table(
        "consortia",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lead_district_id", sa.Uuid(), nullable=False),
        sa.Column("formed_at", _moment(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("local_thresholds", _document(), nullable=False),
        _fk("consortia", "lead_district_id", "districts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consortia")),
    )
    op.create_index(op.f("ix_consortia_name"), "consortia", ["name"])

    op.create_table(
        "consortium_members",
        sa.Column("consortium_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", _moment(), nullable=False),
        _fk("consortium_members", "consortium_id", "consortia", ondelete="CASCADE"),
        _fk("consortium_members", "district_id", "districts"),
        sa.PrimaryKeyConstraint("consortium_id", "district_id", name=op.f("pk_consortium_members")),
    )
    op.create_index(op.f("ix_consortium_members_district_id"), "consortium_members", ["district_id"])

    op.create_table(
        "solicitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("consortium_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("required_method", sa.String(length=32), nullable=False),
        sa.Column("estimated_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("questions_due", _moment(), nullable=False),
        sa.Column("proposals_due", _moment(), nullable=False),
        sa.Column("joining_policy", sa.String(length=32), nullable=False),
        sa.Column("drafted_at", _moment(), nullable=False),
        sa.Column("published_at", _moment(), nullable=True),
        sa.Column("closed_at", _moment(), nullable=True),
        sa.Column("amendments", sa.Integer(), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("solicitations", "consortium_id", "consortia"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solicitations")),
    )
    op.create_index(
        op.f("ix_solicitations_status_proposals_due"), "solicitations", ["status", "proposals_due"]
    )
    op.create_index(
        op.f("ix_solicitations_consortium_id_drafted_at"), "solicitations", ["consortium_id", "drafted_at"]
    )

    op.create_table(
        "proposal_index",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("solicitation_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        _fk("proposal_index", "solicitation_id", "solicitations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_index")),
    )
    op.create_index(
        op.f("ix_proposal_index_solicitation_id_status"), "proposal_index", ["solicitation_id", "status"]
    )
    op.create_index(
        op.f("ix_proposal_index_provider_id_submitted_at"), "proposal_index", ["provider_id", "submitted_at"]
    )

    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("solicitation_id", sa.Uuid(), nullable=True),
        sa.Column("consortium_id", sa.Uuid(), nullable=True),
        sa.Column("lead_district_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("contract_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("list_unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("awarded_at", _moment(), nullable=False),
        sa.Column("signed_at", _moment(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("contracts", "solicitation_id", "solicitations"),
        _fk("contracts", "consortium_id", "consortia"),
        _fk("contracts", "lead_district_id", "districts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_index(op.f("ix_contracts_awarded_at"), "contracts", ["awarded_at"])
    op.create_index(op.f("ix_contracts_solicitation_id"), "contracts", ["solicitation_id"])
    op.create_index(
        op.f("ix_contracts_consortium_id_awarded_at"), "contracts", ["consortium_id", "awarded_at"]
    )
    op.create_index(op.f("ix_contracts_provider_id_awarded_at"), "contracts", ["provider_id", "awarded_at"])

    op.create_table(
        "contract_parties",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", _moment(), nullable=False),
        _fk("contract_parties", "contract_id", "contracts", ondelete="CASCADE"),
        _fk("contract_parties", "district_id", "districts"),
        sa.PrimaryKeyConstraint("contract_id", "district_id", name=op.f("pk_contract_parties")),
    )
    op.create_index(op.f("ix_contract_parties_district_id"), "contract_parties", ["district_id"])


def downgrade() -> None:
    for name in (
        "contract_parties",
        "contracts",
        "proposal_index",
        "solicitations",
        "consortium_members",
        "consortia",
        "districts",
    ):
        op.drop_table(name)  # its indexes go with it
