"""Alembic upgrades an empty database to head, the models match it, and it downgrades cleanly."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import migrations
from marketplace.config import Settings
from projections.tables import SEARCH_FIELDS, metadata
from tests.e2e.procurement_helpers import register_district


@pytest.fixture
def empty_engine(database_url: str) -> Any:
    engine = create_engine(Settings(database_url=database_url).sqlalchemy_url())
    with engine.connect() as connection:
        migrations.downgrade(connection, "base")
        connection.commit()
    assert not set(metadata.tables) & set(inspect(engine).get_table_names())
    yield engine
    with engine.connect() as connection:
        migrations.upgrade(connection)  # leave it as the other tests expect
        connection.commit()
    engine.dispose()


def _differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_object": lambda obj, name, type_, reflected, compare_to: migrations.is_managed(
                name, type_, reflected, compare_to, metadata
            ),
            "compare_type": True,
        },
    )
    return list(compare_metadata(context, metadata))


def test_upgrading_an_empty_database_to_head_creates_every_table_the_models_declare(empty_engine: Any) -> None:
    with empty_engine.connect() as connection:
        migrations.upgrade(connection)
        connection.commit()
    tables = set(inspect(empty_engine).get_table_names())
    assert set(metadata.tables) <= tables
    with empty_engine.connect() as connection:
        assert _differences(connection) == []


def test_the_full_text_index_exists_for_the_dialect(empty_engine: Any) -> None:
    with empty_engine.connect() as connection:
        migrations.upgrade(connection)
        connection.commit()
    inspector = inspect(empty_engine)
    tables = {f"offering_text_{f}" for f in SEARCH_FIELDS}
    assert tables <= set(inspector.get_table_names())
    if empty_engine.dialect.name == "postgresql":
        for table in tables:
            assert f"ix_{table}_words" in {i["name"] for i in inspector.get_indexes(table)}


def test_a_model_change_without_a_migration_is_detected(empty_engine: Any) -> None:
    from sqlalchemy import Column, MetaData, String, Table

    with empty_engine.connect() as connection:
        migrations.upgrade(connection)
        connection.commit()
        changed = MetaData()
        for table in metadata.tables.values():
            table.to_metadata(changed)
        Table("offerings", changed, Column("slogan", String(40)), extend_existing=True)
        context = MigrationContext.configure(
            connection,
            opts={
                "include_object": lambda obj, name, type_, reflected, compare_to: migrations.is_managed(
                    name, type_, reflected, compare_to, changed
                )
            },
        )
        assert any(diff[0] == "add_column" for diff in compare_metadata(context, changed))


def test_downgrading_past_0009_puts_back_the_offerings_text_columns_filled_from_documents(
    database_url: str, services: Any, published_offering: Any
) -> None:
    offering = published_offering(summary="Orchard summary", description="Orchard description")
    services.runner.catch_up()
    engine = create_engine(Settings(database_url=database_url).sqlalchemy_url())
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("offerings")}
        assert not {"summary", "description"} & columns
        with engine.connect() as connection:
            migrations.downgrade(connection, "0008")
            connection.commit()
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT summary, description FROM offerings WHERE title = %s"
                if engine.dialect.name == "postgresql"
                else "SELECT summary, description FROM offerings WHERE title = ?",
                (offering["title"],),
            ).one()
        assert tuple(row) == ("Orchard summary", "Orchard description")
        with engine.connect() as connection:
            migrations.upgrade(connection)
            connection.commit()
        assert not {"summary", "description"} & {
            c["name"] for c in inspect(engine).get_columns("offerings")
        }
    finally:
        engine.dispose()


def test_0010_splits_postgresql_words_as_fts5_and_downgrading_splits_them_as_before(
    database_url: str, services: Any, published_offering: Any
) -> None:
    offering = published_offering(summary="For grades 9-12; write to info@x.org.")
    services.runner.catch_up()
    engine = create_engine(Settings(database_url=database_url).sqlalchemy_url())
    postgres = engine.dialect.name == "postgresql"

    def summary_words() -> set[str]:
        """PostgreSQL: the summary's stored words; SQLite: which of these FTS5 finds."""
        with engine.connect() as connection:
            if postgres:
                stored = connection.exec_driver_sql(
                    "SELECT t.words FROM offering_text_summary t JOIN offerings o "
                    "ON o.search_key = t.search_key WHERE o.title = %s",
                    (offering["title"],),
                ).scalar_one()
                return {word.strip("'") for word in str(stored).split()}
            return {
                word
                for word in ("12", "org")
                if connection.exec_driver_sql(
                    "SELECT count(*) FROM offering_text_summary WHERE offering_text_summary "
                    "MATCH ?",
                    (f'"{word}"',),
                ).scalar_one()
            }

    def migrate(to: str) -> None:
        with engine.connect() as connection:
            if to == "head":
                migrations.upgrade(connection)
            else:
                migrations.downgrade(connection, to)
            connection.commit()

    try:
        assert {"12", "org"} <= summary_words() and "-12" not in summary_words()  # as written
        migrate("0009")
        if postgres:  # PostgreSQL's own parser again
            assert "-12" in summary_words() and "12" not in summary_words()
        else:  # FTS5 is left as it is
            assert {"12", "org"} <= summary_words()
        migrate("head")
        assert {"12", "org"} <= summary_words() and "-12" not in summary_words()
    finally:
        engine.dispose()


def test_0011_empties_the_procurement_read_model_for_the_worker_to_build_again(
    database_url: str, services: Any, make_account: Any
) -> None:
    district = register_district(make_account("buyer"))
    services.runner.catch_up()
    engine = create_engine(Settings(database_url=database_url).sqlalchemy_url())

    def districts() -> list[str]:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT id FROM districts").scalars()
            return [str(UUID(str(value))) for value in rows]

    try:
        assert districts() == [district["id"]] and services.runner.positions()["procurement"] > 0
        with engine.connect() as connection:
            migrations.downgrade(connection, "0010")
            migrations.upgrade(connection)
            connection.commit()
        positions = services.runner.positions()
        assert districts() == [] and positions["procurement"] == 0
        assert positions["catalog"] == services.runner.head()  # the others are left as they were
        services.runner.catch_up()
        assert districts() == [district["id"]]
    finally:
        engine.dispose()
