"""The words a catalog search ignores are the ones PostgreSQL's ``english`` configuration drops."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import ProgrammingError

from projections.search import STOP_WORDS
from tests.conftest import _psycopg_url


def test_the_stop_words_are_exactly_those_postgresql_drops_from_a_search(
    postgres_database: str,
) -> None:
    engine = create_engine(_psycopg_url(postgres_database))
    try:
        with engine.connect() as conn:

            def dropped(word: str) -> bool:
                query = "SELECT numnode(to_tsquery('english', %(word)s))"
                return conn.exec_driver_sql(query, {"word": f"{word}:*"}).scalar() == 0

            assert {word for word in STOP_WORDS if not dropped(word)} == set()
            assert not any(dropped(word) for word in ("orchard", "math", "would", "thee", "none"))
            try:
                folder = conn.exec_driver_sql(
                    "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'"
                ).scalar()
                listed = conn.exec_driver_sql(
                    "SELECT pg_read_file(%(path)s)", {"path": f"{folder}/tsearch_data/english.stop"}
                ).scalar()
            except ProgrammingError as error:  # a role that may not read the server's files
                pytest.skip(f"cannot read PostgreSQL's own stop list: {error.orig}")
    finally:
        engine.dispose()
    assert set(listed.split()) == STOP_WORDS
