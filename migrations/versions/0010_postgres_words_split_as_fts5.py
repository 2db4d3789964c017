"""PostgreSQL: each published offering's searchable words are split again as SQLite's FTS5 and
a search split them, at anything that is not a letter, digit or underscore
(``projections.catalog.POSTGRES_WORDS``). PostgreSQL's own parser had kept "-12" of "grades 9-12"
and "x.org" whole, so that a search for "12" found nothing on PostgreSQL.

The words are worked out again from what the catalog already holds (each offering's document,
and its provider's name), for the published offerings the text tables hold: nothing else
changes, and no rebuild is needed. SQLite is left as it is. Downgrading splits them with
PostgreSQL's parser again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

from alembic import op

revision: str = "0010"
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SOURCES = {
    "title": "o.document->>'title'",
    "summary": "o.document->>'summary'",
    "description": "o.document->>'description'",
    "provider_name": "o.provider_name",
}


def _split(split_as_fts5: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for field, source in SOURCES.items():
        text = f"coalesce({source}, '')"
        if split_as_fts5:
            text = rf"regexp_replace({text}, '\W+', ' ', 'g')"
        op.execute(
            f"UPDATE offering_text_{field} AS t SET words = strip(to_tsvector('english', {text})) "
            "FROM offerings AS o WHERE o.search_key = t.search_key"
        )


def upgrade() -> None:
    _split(split_as_fts5=True)


def downgrade() -> None:
    _split(split_as_fts5=False)
