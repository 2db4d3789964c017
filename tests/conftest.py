"""Fixtures shared by every test.

``database_url`` runs a test once on SQLite and once on PostgreSQL. PostgreSQL is found at
``MARKETPLACE_TEST_POSTGRES_URL`` (default: the local server, database ``test``); each test run
creates its own database there and empties it between tests. Where no PostgreSQL answers, those
runs skip with the reason, unless ``MARKETPLACE_REQUIRE_POSTGRES=1`` (as in CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import events
import migrations
from events.types import Role
from marketplace import create_app
from marketplace.config import Settings

POSTGRES_URL = os.environ.get(
    "MARKETPLACE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("MARKETPLACE_REQUIRE_POSTGRES") == "1"

# Every app the tests build checks that each GET view reads only the read models it declares
# (``marketplace.web.reads``): a view that reads more would answer before the client's write.
os.environ["MARKETPLACE_CHECK_READS"] = "1"


# Databases -------------------------------------------------------------------------------------


def _psycopg_url(url: str) -> str:
    return str(make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating is slower than copying)."""
    path = tmp_path_factory.mktemp("template") / "marketplace.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        migrations.upgrade(connection)
        connection.commit()
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    admin_url = _psycopg_url(POSTGRES_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not available"
        reason = f"PostgreSQL not reachable at {POSTGRES_URL}: {error.__class__.__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (MARKETPLACE_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    name = f"marketplace_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = str(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    engine = create_engine(_psycopg_url(url))
    with engine.connect() as connection:
        migrations.upgrade(connection)
        connection.commit()
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(_psycopg_url(url))
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "marketplace.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


# Clock -----------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: datetime):
        self.moment = start

    def now(self) -> datetime:
        self.moment += timedelta(microseconds=1)  # events in one test never share a timestamp
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))
    previous = events.set_clock(fake)
    yield fake
    events.set_clock(previous)


# The service -----------------------------------------------------------------------------------


@pytest.fixture
def app(database_url: str) -> Iterator[Any]:
    application = create_app({"TESTING": True, "MARKETPLACE": {"database_url": database_url}})
    yield application
    application.extensions["marketplace"].close()


@pytest.fixture
def lagging_app(database_url: str) -> Iterator[Any]:
    """A second app on the same database whose reads never catch up themselves and wait only
    50 ms for the projection worker (there is none): it sees the read models as they lag."""
    application = create_app(
        {
            "TESTING": True,
            "MARKETPLACE": {
                "database_url": database_url,
                "catch_up_on_read": False,
                "read_wait_seconds": 0.05,
            },
        }
    )
    yield application
    application.extensions["marketplace"].close()


@pytest.fixture
def services(app: Any) -> Any:
    with app.app_context():
        return app.extensions["marketplace"].get()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


class Caller:
    """An HTTP client acting as one account (or anonymously) that reads its own writes.

    Every write's ``Log-Position`` is remembered and sent back as ``Min-Log-Position`` on the next
    read, as a real client would do; nothing sleeps.
    """

    def __init__(self, client: Any, token: str | None = None):
        self.client = client
        self.token = token
        self.position: int | None = None

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _remember(self, response: Any) -> Any:
        position = response.headers.get("Log-Position")
        if position is not None:
            self.position = max(int(position), self.position or 0)
        return response

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        extra = dict(headers or {})
        if self.position is not None:
            extra.setdefault("Min-Log-Position", str(self.position))
        return self.client.get(path, headers=self._headers(extra), **kwargs)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self._remember(self.client.post(path, json=json, headers=self._headers(headers), **kwargs))

    def patch(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self._remember(self.client.patch(path, json=json, headers=self._headers(headers), **kwargs))

    def delete(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self._remember(self.client.delete(path, headers=self._headers(headers), **kwargs))

    def sees(self, other: Caller) -> Caller:
        """Read at least as far as ``other`` has written."""
        self.position = max(self.position or 0, other.position or 0)
        return self


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def anonymous(client: Any) -> Caller:
    return Caller(client)


@pytest.fixture
def make_account(services: Any, client: Any) -> Any:
    """``make_account(role, organization_id=None) -> Caller`` acting as a new account."""

    def _make(role: str | Role, organization_id: Any = None, name: str | None = None) -> Caller:
        role = Role(role)
        _, token = services.app.open_account(None, role, name or f"Test {role.value}", organization_id)
        return Caller(client, token)

    return _make


@pytest.fixture
def admin(make_account: Any) -> Caller:
    return make_account("admin")


PROVIDER_BODY = {
    "legal_name": "Prairie Learning Collaborative",
    "identifier": {"scheme": "US-EIN", "id": "84-1234567"},
    "website": "https://prairie.example.com",
    "contact": {"name": "Dana Reyes", "email": "dana@prairie.example.com"},
}


def complete_offering(**overrides: Any) -> dict[str, Any]:
    """A draft body complete enough to publish."""
    body: dict[str, Any] = {
        "title": "Prairie Math Mastery",
        "summary": "Mastery-based math for grades 3-8 in small rural schools.",
        "description": "Students progress on demonstrated mastery; teachers get daily insight.",
        "model_type": "course",
        "subjects": ["math"],
        "grade_bands": ["3_5", "6_8"],
        "delivery": "blended",
        "interoperability": ["lti_1_3", "oneroster"],
        "pricing": {
            "unit": "per_student_per_year",
            "list_price": "42.00",
            "volume_tiers": [
                {"min_quantity": 250, "unit_price": "38.00"},
                {"min_quantity": 1000, "unit_price": "33.50"},
            ],
        },
        "evidence": {
            "tier": 2,
            "study_url": "https://evidence.example.org/prairie-math",
            "study_date": "2024-05-01",
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_provider(make_account: Any) -> Any:
    """``make_provider(name=..., ein=...) -> (Caller, provider_id)``: a registered provider."""
    counter = {"n": 0}

    def _make(name: str | None = None, ein: str | None = None) -> tuple[Caller, str]:
        counter["n"] += 1
        caller = make_account("provider")
        body = {
            **PROVIDER_BODY,
            "legal_name": name or f"{PROVIDER_BODY['legal_name']} {counter['n']}",
            "identifier": {"scheme": "US-EIN", "id": ein or f"84-{1000000 + counter['n']}"},
        }
        response = caller.post("/api/v1/providers", json=body)
        assert response.status_code == 201, response.get_json()
        return caller, response.get_json()["id"]

    return _make


@pytest.fixture
def provider(make_provider: Any) -> tuple[Caller, str]:
    return make_provider()


@pytest.fixture
def published_offering(provider: tuple[Caller, str]) -> Any:
    """``published_offering(**overrides) -> offering document`` owned by ``provider``."""
    caller, _ = provider

    def _make(**overrides: Any) -> dict[str, Any]:
        created = caller.post("/api/v1/offerings", json=complete_offering(**overrides))
        assert created.status_code == 201, created.get_json()
        published = caller.post(f"/api/v1/offerings/{created.get_json()['id']}/publish")
        assert published.status_code == 200, published.get_json()
        return published.get_json()

    return _make
