"""Shared set-up for the benchmarks: fresh databases, the machine's description, arguments, timing
and the one-JSON-object-on-the-last-line output.

A benchmark gets a database of its own for every run and removes it afterwards: a temporary SQLite
file, or a PostgreSQL database created on the server at ``MARKETPLACE_BENCH_POSTGRES_URL``
(default ``postgresql://postgres@127.0.0.1:5432/postgres``, the database used only to create and
drop others) and dropped at the end, even after a failure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DATABASES = ("sqlite", "postgres")
ADMIN_POSTGRES_URL = os.environ.get(
    "MARKETPLACE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REPO = Path(__file__).resolve().parent.parent


# Arguments and output ----------------------------------------------------------------------------


def parse_args(
    description: str,
    default_size: int,
    databases: Sequence[str] = DATABASES,
    argv: Sequence[str] | None = None,
    size_help: str = "the benchmark's size",
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(parser)
    parser.add_argument(
        "--database",
        choices=[*databases, "all"],
        default="all",
        help=f"which database to measure (default: all of {', '.join(databases)})",
    )
    parser.add_argument(
        "--size", type=int, default=default_size, help=f"{size_help} (default {default_size:,})"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds this benchmark may take on each database; sizes that would not fit are "
        "scaled down (calibrated in the run) and the goal size is extrapolated. Default: none",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the measured part with cProfile (stderr)"
    )
    args = parser.parse_args(argv)
    args.databases = list(databases) if args.database == "all" else [args.database]
    return args


def run_benchmark(
    name: str,
    args: argparse.Namespace,
    measure: Callable[[str, argparse.Namespace], dict[str, Any]],
) -> dict[str, Any]:
    """Measure on each selected database; print every result as a JSON line as it comes and,
    when there were several, a last line that holds them all."""
    described = machine()
    results = []
    for database in args.databases:
        started = time.perf_counter()
        load_before = load_average()
        try:
            result = {"benchmark": name, "database": database, **measure(database, args)}
        except DatabaseUnavailable as error:
            result = {"benchmark": name, "database": database, "skipped": str(error)}
        except Exception as error:  # noqa: BLE001 - report the failure as the result
            traceback.print_exc(file=sys.stderr)
            result = {"benchmark": name, "database": database, "error": repr(error)}
        result["wall_s"] = round(time.perf_counter() - started, 2)
        result["load_average"] = {"before": load_before, "after": load_average()}
        result["machine"] = described
        results.append(result)
        if len(args.databases) > 1:
            emit(result)
    if len(results) == 1:
        final = results[0]
    else:
        final = {
            "benchmark": name,
            "results": [{k: v for k, v in r.items() if k != "machine"} for r in results],
            "machine": described,
        }
    emit(final)
    return final


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, default=str), flush=True)


def progress(message: str) -> None:
    """Progress goes to stderr, so stdout's last line is always the result."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def outcome(
    figure: dict[str, Any],
    baseline: dict[str, Any],
    goal: dict[str, Any],
    sizes: dict[str, Any],
    **details: Any,
) -> dict[str, Any]:
    """The common shape of a result: figure, baseline, ratio (figure / baseline), goal, sizes."""
    ratio = figure["value"] / baseline["value"] if baseline["value"] else None
    return {
        "figure": figure,
        "baseline": baseline,
        "ratio": None if ratio is None else round(ratio, 4),
        "goal": goal,
        "sizes": sizes,
        **details,
    }


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """p50/p95/p99/max in milliseconds."""
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2) if seconds else None,
    }


def every(step: int, label: str) -> Callable[[int], None]:
    """A seeding progress callback that reports each ``step`` events."""
    mark = {"next": step}

    def report(events: int) -> None:
        if events >= mark["next"]:
            progress(f"{label}: seeded {events:,} events")
            mark["next"] += step

    return report


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    timing: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield timing
    finally:
        timing["seconds"] = time.perf_counter() - started


# Databases ---------------------------------------------------------------------------------------


class DatabaseUnavailable(Exception):
    """The database server needed by a run does not answer: the run is skipped, not failed."""


def _psycopg(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@contextmanager
def _postgres_admin() -> Iterator[Any]:
    try:
        admin = create_engine(_psycopg(ADMIN_POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not available"
        raise DatabaseUnavailable(
            f"PostgreSQL not reachable at {ADMIN_POSTGRES_URL}: {error.__class__.__name__}"
        ) from error
    try:
        yield admin
    finally:
        admin.dispose()


@contextmanager
def fresh_database(kind: str, label: str = "bench", migrate: bool = True) -> Iterator[str]:
    """A new, empty database (migrated unless ``migrate=False``); yields its URL, removes it after."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"marketplace-{label}-")
        url = f"sqlite:///{Path(folder) / 'marketplace.sqlite3'}"
        try:
            if migrate:
                _migrate(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    with _postgres_admin() as admin:
        name = f"bench_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(ADMIN_POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        try:
            if migrate:
                _migrate(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _migrate(url: str) -> None:
    import migrations  # the service's own Alembic migrations, as `flask db upgrade` runs them

    engine = create_engine(_psycopg(url) if url.startswith("postgresql") else url)
    with engine.connect() as connection:
        migrations.upgrade(connection)
        connection.commit()
    engine.dispose()


def eventsourcing_env(url: str) -> dict[str, str]:
    """The event store configuration the service derives from a database URL."""
    from marketplace.config import Settings

    return Settings(database_url=url).eventsourcing_env()


def flask_app(url: str, **settings: Any) -> Any:
    """The service's Flask app on ``url`` (production settings: not TESTING)."""
    from marketplace import create_app

    return create_app({"MARKETPLACE": {"database_url": url, **settings}})


def services_of(app: Any) -> Any:
    with app.app_context():
        return app.extensions["marketplace"].get()


def close_app(app: Any) -> None:
    app.extensions["marketplace"].close()


# The machine -------------------------------------------------------------------------------------


_MACHINE: dict[str, Any] | None = None


def machine() -> dict[str, Any]:
    global _MACHINE
    if _MACHINE is None:
        _MACHINE = {
            "cpu_count": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "memory_gb": _memory_gb(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "sqlite": sqlite3.sqlite_version,
            "postgres": _postgres_version(),
            "code": _code_state(),
            "packages": {
                name: _version(name)
                for name in ("eventsourcing", "SQLAlchemy", "Flask", "flask-smorest", "psycopg", "gunicorn")
            },
        }
    return _MACHINE


def _code_state() -> dict[str, Any] | None:
    """The commit measured, and how many files differed from it (the working tree is measured)."""
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "uncommitted_files": len(changed), "source_digest": source_digest()}


def source_digest() -> str:
    """A digest of the service's source as it is on disk now: the working tree is measured, and
    others may be editing it, so each result says which source it measured."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("marketplace", "projections", "events", "migrations"):
        for path in sorted((REPO / folder).rglob("*.py")):
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    digest.update((REPO / "wsgi.py").read_bytes())
    return digest.hexdigest()[:12]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _postgres_version() -> str | None:
    try:
        with _postgres_admin() as admin, admin.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
            settings = {
                name: connection.execute(text(f"SHOW {name}")).scalar_one()
                for name in ("shared_buffers", "synchronous_commit", "max_connections")
            }
        return f"{version} ({', '.join(f'{k}={v}' for k, v in settings.items())})"
    except DatabaseUnavailable:
        return None


# Profiling ---------------------------------------------------------------------------------------


class Profiler:
    """cProfile around the measured part when enabled; ``top()`` names where the time went,
    counting only the service's own code and the libraries it calls (not the benchmark)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._profile: Any = None

    @contextmanager
    def measure(self) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        import cProfile

        self._profile = self._profile or cProfile.Profile()
        self._profile.enable()
        try:
            yield
        finally:
            self._profile.disable()

    def top(self, limit: int = 15) -> dict[str, list[dict[str, Any]]] | None:
        """Prints the full cumulative and own-time listings to stderr; returns the top ``limit`` of
        the service's own functions by cumulative time, and of all functions by own time."""
        if self._profile is None:
            return None
        import io
        import pstats

        stream = io.StringIO()
        stats = pstats.Stats(self._profile, stream=stream)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)
        print(stream.getvalue(), file=sys.stderr)
        rows = []
        for (filename, line, function), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append(
                {
                    "function": f"{_short(filename)}:{line}({function})",
                    "calls": calls,
                    "tottime_s": round(tottime, 3),
                    "cumtime_s": round(cumtime, 3),
                }
            )
        own = [r for r in rows if r["function"].startswith(("marketplace/", "projections/", "events/"))]
        return {
            "own_code_by_cumulative": sorted(own, key=lambda r: -r["cumtime_s"])[:limit],
            "all_by_own_time": sorted(rows, key=lambda r: -r["tottime_s"])[:limit],
        }


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(REPO) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# The event log, read the library's way -------------------------------------------------------------


def read_and_decode(app: Any, page: int = 1000) -> tuple[int, float]:
    """Every notification in pages of ``page`` through the core recorder, each decoded to its
    domain event by the application's mapper: (events, seconds)."""
    count = 0
    start = 1
    began = time.perf_counter()
    while True:
        notifications = app.recorder.select_notifications(start=start, limit=page)
        if not notifications:
            break
        for notification in notifications:
            app.mapper.to_domain_event(notification)
        count += len(notifications)
        start = notifications[-1].id + 1
    return count, time.perf_counter() - began


def fit_size(
    goal: int,
    budget: float | None,
    spent: float,
    seconds_per_unit: float,
    floor: int,
    step: int = 1000,
    reserve: float = 0.0,
) -> int:
    """The largest size up to ``goal`` (a multiple of ``step``, at least ``floor``) whose estimated
    cost fits in what is left of ``budget`` after ``spent`` and ``reserve`` seconds."""
    if budget is None or seconds_per_unit <= 0:
        return goal
    left = budget - spent - reserve
    fitting = int(left / seconds_per_unit) // step * step
    return max(floor, min(goal, fitting))


def calibrate_projection(svc: Any, seeder: Any, events: int) -> dict[str, Any]:
    """Seed ``events`` events, catch every projection up and read + decode the log once: the
    per-event costs of seeding, projecting and decoding on this machine, now."""
    seeder.seed(events)
    began = time.perf_counter()
    projected = svc.runner.catch_up()
    project_s = time.perf_counter() - began
    decoded, decode_s = read_and_decode(svc.app)
    return {
        "events": projected,
        "seed_s_per_event": seeder.report.seconds / max(seeder.report.events, 1),
        "project_s_per_event": project_s / max(projected, 1),
        "decode_s_per_event": decode_s / max(decoded, 1),
        "catch_up_events_per_s": rate(projected, project_s),
        "seed_events_per_s": rate(seeder.report.events, seeder.report.seconds),
    }
