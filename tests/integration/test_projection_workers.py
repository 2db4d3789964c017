"""Projection workers as real processes: two at once apply each event once; one killed with
SIGKILL mid-batch leaves whole batches only, and its restart converges to a rebuild from zero."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from marketplace.domain.offerings import Offering
from tests.conftest import complete_offering
from tests.integration.readmodels import history_rows, public_events_in_log, snapshot

ROOT = Path(__file__).resolve().parents[2]


def _seed(services: Any, make_provider: Any, offerings: int, revisions: int) -> int:
    caller, _ = make_provider()
    account = services.app.authenticate(caller.token)
    details = {k: v for k, v in complete_offering().items() if k == "title"}
    batch = []
    for n in range(offerings):
        offering = Offering.draft(account, {**details, "title": f"Offering {n}"})
        for r in range(revisions):
            offering.revise(account, {"title": f"Offering {n} revision {r}"})
        batch.append(offering)
        if len(batch) == 100:
            services.app.save(*batch)
            batch = []
    if batch:
        services.app.save(*batch)
    return services.runner.head()


def _worker(
    database_url: str, batch_size: int, log: Path, names: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MARKETPLACE_DATABASE_URL": database_url,
        "MARKETPLACE_PROJECTION_BATCH_SIZE": str(batch_size),
        "MARKETPLACE_PROJECTION_POLL_SECONDS": "0.05",
    }
    with log.open("ab") as stderr:  # the child keeps its own copy
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "flask", "--app", "wsgi", "projections", "run",
                *(option for name in names for option in ("--name", name)),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    _wait_until_running(worker, log)
    return worker


def _wait_until_running(worker: subprocess.Popen[bytes], log: Path) -> None:
    """Wait for the worker's start-up line, printed once its SIGTERM handler is in place: a
    SIGTERM sent earlier (while Python is still importing the application) ends the process
    before it can stop cleanly, which is the default for any process, not a worker's fault."""
    ready = f"projection worker {worker.pid} running".encode()
    deadline = time.monotonic() + 120
    while ready not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise AssertionError(f"worker did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)  # polling the worker's own start-up line


def _stop(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    worker.send_signal(sig)
    return worker.wait(timeout=30)


def test_two_worker_processes_at_once_apply_each_event_once(
    services: Any, make_provider: Any, database_url: str, tmp_path: Path
) -> None:
    head = _seed(services, make_provider, offerings=300, revisions=4)
    workers = [_worker(database_url, 50, tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        assert services.runner.wait_for(head, timeout=600, catch_up=False)
    finally:
        codes = [_stop(w) for w in workers]
    assert codes == [0, 0]  # both stopped cleanly on SIGTERM
    assert history_rows(services.engines.reader) == public_events_in_log(services, head)
    applied = snapshot(services.engines.reader)
    services.runner.rebuild()
    assert snapshot(services.engines.reader) == applied


def test_a_worker_killed_mid_batch_restarts_and_converges_to_a_rebuild(
    services: Any, make_provider: Any, database_url: str, tmp_path: Path
) -> None:
    batch_size = 1500
    head = _seed(services, make_provider, offerings=1500, revisions=5)
    worker = _worker(database_url, batch_size, tmp_path / "killed.log")
    try:
        assert services.runner.wait_for(1, timeout=600, catch_up=False)  # a first batch committed
    finally:
        _stop(worker, signal.SIGKILL)
    stopped = services.runner.positions()
    assert all(p % batch_size == 0 or p == head for p in stopped.values())  # whole batches only
    assert min(stopped.values()) < head

    restarted = _worker(database_url, batch_size, tmp_path / "restarted.log")
    try:
        assert services.runner.wait_for(head, timeout=600, catch_up=False)
    finally:
        assert _stop(restarted) == 0
    resumed = snapshot(services.engines.reader)
    services.runner.rebuild()
    assert snapshot(services.engines.reader) == resumed


def test_workers_given_different_projections_each_keep_only_their_own_up_to_date(
    services: Any, make_provider: Any, database_url: str, tmp_path: Path
) -> None:
    head = _seed(services, make_provider, offerings=60, revisions=2)
    others = tuple(name for name in services.runner.projections if name != "catalog")
    before = services.runner.positions()
    assert max(before.values()) < head
    catalog_worker = _worker(database_url, 40, tmp_path / "catalog.log", names=("catalog",))
    try:
        deadline = time.monotonic() + 300
        while services.runner.positions()["catalog"] < head and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the tracked position
        positions = services.runner.positions()
        assert positions["catalog"] == head
        assert {name: positions[name] for name in others} == {name: before[name] for name in others}

        rest_worker = _worker(database_url, 40, tmp_path / "rest.log", names=others)
        try:
            assert services.runner.wait_for(head, timeout=300, catch_up=False)
        finally:
            assert _stop(rest_worker) == 0
    finally:
        assert _stop(catalog_worker) == 0
    assert history_rows(services.engines.reader) == public_events_in_log(services, head)
