"""Alembic upgrades an empty database to head, the models match it, and it downgrades cleanly."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import migrations
from marketplace.config import Settings
from projections.tables import SEARCH_FIELDS, metadata


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
