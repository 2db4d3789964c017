"""Configuration from the environment, with safe embedded defaults (a SQLite file, nothing to start).

``MARKETPLACE_DATABASE_URL`` picks the database for the event store and the read models alike:
``sqlite:///path/to/file.sqlite3`` (the default, in the instance folder) or
``postgresql://user:password@host:5432/dbname``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy.engine import URL, make_url

from marketplace.logs import log_format

APPLICATION_NAME = "Marketplace"


class ConfigurationError(ValueError):
    """A setting the service cannot run with, named with what it must be."""


_NUMBERS: dict[str, tuple[type, float, str]] = {
    # setting: (type, least value, what it must be)
    "read_wait_seconds": (float, 0.0, "a number of seconds, 0 or more"),
    "max_body_bytes": (int, 1, "a whole number of bytes, 1 or more"),
    "projection_batch_size": (int, 1, "a whole number of events, 1 or more"),
    "projection_poll_seconds": (float, 0.01, "a number of seconds, 0.01 or more"),
    "search_cache_mb": (int, 0, "a whole number of megabytes, 0 or more"),
}
DATABASES = ("sqlite", "postgresql")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on", "y")


@dataclass(frozen=True)
class Settings:
    database_url: str
    catch_up_on_read: bool = True
    """A read that asks for a log position the projections have not reached catches them up itself."""
    read_wait_seconds: float = 5.0
    max_body_bytes: int = 256 * 1024
    projection_batch_size: int = 1000
    projection_poll_seconds: float = 0.5
    ocid_prefix: str = "ocds-mkt001"
    """The Open Contracting ID prefix: each contracting process is ``{prefix}-{its id}``."""
    search_cache_mb: int = 64
    """Per web process: the most the catalog index keeps of what the database answered about
    search words (least recently used out first)."""
    check_reads: bool = False
    """Check that every GET view reads only the read models it declares (the tests turn it on;
    ``marketplace.web.reads``)."""

    @classmethod
    def from_env(cls, instance_path: str, overrides: Mapping[str, Any] | None = None) -> Settings:
        env = dict(os.environ)
        log_format()  # checked here, before anything starts; the logging setup reads it
        values: dict[str, Any] = {
            "database_url": env.get("MARKETPLACE_DATABASE_URL")
            or f"sqlite:///{Path(instance_path) / 'marketplace.sqlite3'}",
            "catch_up_on_read": _flag(env.get("MARKETPLACE_CATCH_UP_ON_READ"), True),
            "check_reads": _flag(env.get("MARKETPLACE_CHECK_READS"), False),
        }
        ocid_prefix = env.get("MARKETPLACE_OCID_PREFIX")
        if ocid_prefix:
            values["ocid_prefix"] = ocid_prefix
        for key, (cast, _, must_be) in _NUMBERS.items():
            raw = env.get(f"MARKETPLACE_{key.upper()}")
            if raw:
                try:
                    values[key] = cast(raw)
                except ValueError:
                    raise ConfigurationError(
                        f"MARKETPLACE_{key.upper()} must be {must_be}, not {raw!r}"
                    ) from None
        values.update(overrides or {})
        return cls(**values)

    def __post_init__(self) -> None:
        """Refuse, naming it, a setting the service would misbehave with (a batch of 0 events
        would never move a read model; a negative poll would stop the worker)."""
        for key, (cast, least, must_be) in _NUMBERS.items():
            value = getattr(self, key)
            wrong_type = isinstance(value, bool) or not isinstance(value, cast | int)
            if wrong_type or not least <= value < float("inf"):
                raise ConfigurationError(
                    f"MARKETPLACE_{key.upper()} must be {must_be}, not {value!r}"
                )
        try:
            backend = make_url(self.database_url).get_backend_name()
        except Exception:  # noqa: BLE001 - SQLAlchemy's ArgumentError, or a value not a URL
            backend = None
        if backend not in DATABASES:
            raise ConfigurationError(
                "MARKETPLACE_DATABASE_URL must be sqlite:///<file> or "
                "postgresql://user:password@host:5432/dbname"
            )

    @property
    def url(self) -> URL:
        return make_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def sqlalchemy_url(self) -> URL:
        url = self.url
        if url.get_backend_name() == "postgresql":
            return url.set(drivername="postgresql+psycopg")
        return url

    def listen_conninfo(self) -> str | None:
        """Where a projection worker LISTENs for new events (PostgreSQL only)."""
        url = self.url
        if url.get_backend_name() != "postgresql":
            return None
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def eventsourcing_env(self) -> dict[str, str]:
        """The event store's configuration, derived from the one database URL."""
        url = self.url
        if url.get_backend_name() == "sqlite":
            if not url.database:
                raise ValueError("MARKETPLACE_DATABASE_URL must name a SQLite file")
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": url.database,
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        if url.get_backend_name() == "postgresql":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.database or "postgres",
                "POSTGRES_HOST": url.host or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": url.username or "postgres",
                "POSTGRES_PASSWORD": url.password or "",
                # Each call to the store is tried twice (events.store), each attempt waiting up
                # to this long for a connection: an outage is answered 503 in about 4 s.
                "POSTGRES_CONNECT_TIMEOUT": os.environ.get("POSTGRES_CONNECT_TIMEOUT", "2"),
                "APPLICATION_RECORDER_TOPIC": "events.store:FailFastPostgresApplicationRecorder",
                "POSTGRES_PRE_PING": os.environ.get("POSTGRES_PRE_PING", "y"),
                "POSTGRES_POOL_SIZE": os.environ.get("POSTGRES_POOL_SIZE", "5"),
                "POSTGRES_MAX_OVERFLOW": os.environ.get("POSTGRES_MAX_OVERFLOW", "10"),
            }
        raise ValueError(f"unsupported database: {url.get_backend_name()} (use sqlite or postgresql)")
