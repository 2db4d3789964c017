"""A setting the service cannot run with stops the command line and gunicorn with one line
naming it, not a traceback, and gunicorn starts no worker to fail again and again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = {"MARKETPLACE_PROJECTION_BATCH_SIZE": "0"}
SAID = (
    "marketplace: MARKETPLACE_PROJECTION_BATCH_SIZE must be a whole number of events, 1 or more, "
    "not 0"
)


def _run(*command: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **BAD,
        "MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}",
        "PORT": "1",  # never bound: it stops first
    }
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("flask", "--app", "wsgi", "projections", "status"),
        ("gunicorn", "-c", "python:marketplace.gunicorn_conf", "wsgi:app"),
    ],
    ids=["flask", "gunicorn"],
)
def test_a_bad_setting_stops_it_with_one_line_naming_the_setting(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    finished = _run(*command, tmp_path=tmp_path)

    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines()[-1] == SAID
    assert "Traceback" not in finished.stderr and "Booting worker" not in finished.stderr
    assert not (tmp_path / "never.sqlite3").exists()


def test_a_database_never_migrated_is_answered_503_and_the_log_says_to_migrate_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from marketplace import create_app

    app = create_app(
        {"TESTING": True, "MARKETPLACE": {"database_url": f"sqlite:///{tmp_path / 'new.sqlite3'}"}}
    )
    try:
        response = app.test_client().get(
            "/api/v1/catalog", headers={"Authorization": "Bearer mkt_not-a-real-token"}
        )
    finally:
        app.extensions["marketplace"].close()

    assert response.status_code == 503
    said = [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
    assert said and "run `flask --app wsgi db upgrade`" in said[-1]
    assert "no such table" in said[-1] and "mkt_" not in said[-1]
