"""The offerings table loses its ``summary`` and ``description`` columns: nothing read them (an
offering's text is served from its document, and searched in the ``offering_text_<field>``
tables), and they made each row about 500 bytes longer. On PostgreSQL most rows then passed
the size (about 2 KB) past which every insert compresses the row's largest values: a catch-up
of 30,000 events spent about 0.85 s copying offering rows, 0.5 s without them.

Nothing is rebuilt: the other columns keep what they hold. Downgrading puts the columns back,
filled from each offering's document.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("summary", "description")


def upgrade() -> None:
    with op.batch_alter_table("offerings") as batch:
        for name in COLUMNS:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("offerings") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE offerings SET summary = document->>'summary', "
            "description = document->>'description'"
        )
    else:
        op.execute(
            "UPDATE offerings SET summary = json_extract(document, '$.summary'), "
            "description = json_extract(document, '$.description')"
        )
