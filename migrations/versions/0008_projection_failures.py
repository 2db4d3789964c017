"""A read model that cannot apply an event says so: where it stopped, since when, and the kind of
error, on its position row (shown by ``/health`` and ``flask projections status``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("projection_positions") as batch:
        batch.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failure", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projection_positions") as batch:
        batch.drop_column("failure")
        batch.drop_column("failing_since")
