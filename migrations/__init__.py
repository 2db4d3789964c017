"""Alembic migrations for every read-model table the service defines.

The event store's own tables belong to the eventsourcing library, which creates them (with its
functions and indexes on PostgreSQL) when ``db upgrade`` first opens the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection=connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection=connection), revision)


def is_managed(name: str | None, type_: str, reflected: bool, compare_to: Any, metadata: Any) -> bool:
    """Alembic's include filter: compare only what our metadata declares.

    Left out: tables the library owns (the event store), and the full-text tables (SQLite's FTS5
    tables with their shadow tables, PostgreSQL's tsvector tables with their GIN indexes; before
    revision 0006 a generated ``search_vector`` column), made by hand-written steps in the
    migrations because they differ by dialect.
    """
    if type_ == "table":
        return name in metadata.tables
    if type_ == "column" and name == "search_vector":
        return False
    if type_ == "index" and name == "ix_offerings_search_vector":
        return False
    return True
