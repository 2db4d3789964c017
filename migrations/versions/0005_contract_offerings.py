"""Which offerings each contract covers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "contract_offerings",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_offerings_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", "offering_id", name=op.f("pk_contract_offerings")),
    )
    op.create_index(
        op.f("ix_contract_offerings_offering_id_contract_id"),
        "contract_offerings",
        ["offering_id", "contract_id"],
    )


def downgrade() -> None:
    op.drop_table("contract_offerings")
