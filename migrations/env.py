"""Alembic environment: the database comes from the service's configuration, never from here."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from migrations import is_managed
from projections.tables import metadata

config = context.config


def _include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001, ANN202
    return is_managed(name, type_, reflected, compare_to, metadata)


def _configure(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.attributes.get("url") or os.environ.get("MARKETPLACE_DATABASE_URL")
    if not url:
        raise SystemExit("set MARKETPLACE_DATABASE_URL, or run `flask --app wsgi db upgrade`")
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run()
