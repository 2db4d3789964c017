"""The procurement read model is built again from the event log: a contract's version in the
register now moves with every event of the contract, student data access granted included (it
lagged by those events, so a client sending the register's version back as ``If-Match`` was
refused as stale). The read model's rows cannot say which versions they missed, so its tables are
emptied and its position set to zero; the projection worker (or the next read asking for a log
position) rebuilds it, and ``/health`` shows its lag meanwhile. Downgrading leaves the rebuilt
rows as they are: the older code reads them as it would its own.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PROCUREMENT_TABLES = (  # children first
    "contract_offerings",
    "contract_parties",
    "contracts",
    "proposal_index",
    "solicitations",
    "consortium_members",
    "consortia",
    "districts",
)


def upgrade() -> None:
    for name in PROCUREMENT_TABLES:
        op.execute(f"DELETE FROM {name}")
    op.execute(
        "UPDATE projection_positions SET position = 0, failing_since = NULL, failure = NULL "
        "WHERE name = 'procurement'"
    )


def downgrade() -> None:
    pass
