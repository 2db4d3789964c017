"""Concurrent load on gunicorn with PostgreSQL: throughput and p99 of mixed reads and writes, with
zero errors and zero lost acknowledged writes; baseline: the same load generator on ``/health``.

Set-up: a fresh, migrated PostgreSQL database; provider accounts (one per load thread) opened and
registered through the application directly, and a few hundred published offerings seeded in bulk
and projected, so the catalog has something to find. Then, as subprocesses on 127.0.0.1 with a
free port: ``gunicorn -w 4 wsgi:app`` and a projection worker ``flask --app wsgi projections run``.

The load generator: ``--threads`` (default 12) threads, each acting as its own provider over
``http.client``, for ``--duration`` seconds (default 30), mixing catalog searches (50%), drafts
(POST, 20%), revisions (PATCH with If-Match, 15%) and reads of the thread's own last write with
``Min-Log-Position`` (15%, checking the version read is at least the one acknowledged). An error is
any exception or non-2xx answer other than an expected 409. Every acknowledged write's id, version
and ``Log-Position`` is recorded; afterwards each is looked up in the event store (the notification
at that position must be that aggregate at that version). The baseline runs the same threads
against ``GET /health`` for ``--baseline-duration`` seconds (default 20). Then both processes get
SIGTERM and the database is dropped.

    python -m bench.gunicorn_load [--database postgres] [--size THREADS] [--duration S]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.catalog_query import catalog_paths
from bench.common import (
    REPO,
    close_app,
    flask_app,
    fresh_database,
    latency_summary,
    outcome,
    parse_args,
    progress,
    run_benchmark,
    services_of,
)
from bench.seeding import Seeder, offering_body, open_provider

NAME = "gunicorn_load"
WORKERS = 4
SEEDED_OFFERINGS = 300
MIX = (("catalog", 50), ("draft", 20), ("revise", 15), ("read_own", 15))


@dataclass
class Ack:
    offering_id: str
    version: int
    position: int
    kind: str


@dataclass
class ThreadLog:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    acks: list[Ack] = field(default_factory=list)
    stale_reads: int = 0


class Caller:
    """One load thread: a keep-alive connection (reopened when the server closes it) and a token."""

    def __init__(self, port: int, token: str | None):
        self.port = port
        self.token = token
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        while True:
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=payload, headers=all_headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused:
                    # The server closed an idle keep-alive connection before reading this
                    # request: nothing was processed, so sending it on a new one is safe.
                    continue
                raise
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            parsed = json.loads(data) if data else None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _load_thread(
    port: int, token: str | None, seed: int, until: float, only_health: bool, log: ThreadLog
) -> None:
    rng = random.Random(seed)
    caller = Caller(port, token)
    searches = catalog_paths(200, seed=seed)
    own: list[dict[str, Any]] = []  # this thread's offerings: id and acknowledged version
    last_position: int | None = None
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    n = 0
    while time.monotonic() < until:
        n += 1
        kind = "health" if only_health else rng.choices(kinds, weights)[0]
        if kind in ("revise", "read_own") and not own:
            kind = "draft"
        started = time.perf_counter()
        try:
            if kind == "health":
                status, headers, body = caller.request("GET", "/health")
            elif kind == "catalog":
                status, headers, body = caller.request("GET", rng.choice(searches))
            elif kind == "draft":
                status, headers, body = caller.request(
                    "POST", "/api/v1/offerings", offering_body(rng, seed * 100_000 + n)
                )
            elif kind == "revise":
                target = rng.choice(own)
                status, headers, body = caller.request(
                    "PATCH",
                    f"/api/v1/offerings/{target['id']}",
                    {"summary": f"Revision {n} of this listing for the coming school year."},
                    {"If-Match": f'"{target["version"]}"'},
                )
            else:  # read_own: the last write, read back through the read model
                target = own[-1] if rng.random() < 0.5 else rng.choice(own)
                headers_out = {"Min-Log-Position": str(last_position)} if last_position else {}
                status, headers, body = caller.request(
                    "GET", f"/api/v1/offerings/{target['id']}", headers=headers_out
                )
        except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the load
            log.errors.append(f"{kind}: {error!r}")
            caller.close()
            continue
        elapsed = time.perf_counter() - started
        log.latencies.setdefault(kind, []).append(elapsed)
        by_kind = log.statuses.setdefault(kind, {})
        by_kind[str(status)] = by_kind.get(str(status), 0) + 1
        if status == 409:
            log.conflicts += 1
            continue
        if not 200 <= status < 300:
            log.errors.append(f"{kind}: HTTP {status} {str(body)[:200]}")
            continue
        if kind in ("draft", "revise"):
            position = int(headers["log-position"])
            last_position = max(last_position or 0, position)
            log.acks.append(Ack(body["id"], int(body["version"]), position, kind))
            if kind == "draft":
                own.append({"id": body["id"], "version": int(body["version"])})
            else:
                target["version"] = int(body["version"])
        elif kind == "read_own" and int(body["version"]) < target["version"]:
            log.stale_reads += 1
    caller.close()


def run_load(port: int, tokens: list[str | None], seconds: float, only_health: bool) -> dict[str, Any]:
    logs = [ThreadLog() for _ in tokens]
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_load_thread, args=(port, token, 1000 + i, until, only_health, logs[i]), daemon=True
        )
        for i, token in enumerate(tokens)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - began
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, dict[str, int]] = {}
    for log in logs:
        for kind, samples in log.latencies.items():
            latencies.setdefault(kind, []).extend(samples)
        for kind, counts in log.statuses.items():
            merged = statuses.setdefault(kind, {})
            for status, count in counts.items():
                merged[status] = merged.get(status, 0) + count
    every_sample = [s for samples in latencies.values() for s in samples]
    errors = [e for log in logs for e in log.errors]
    return {
        "seconds": round(elapsed, 2),
        "requests": len(every_sample),
        "requests_per_s": round(len(every_sample) / elapsed, 1),
        "latency": latency_summary(every_sample),
        "by_kind": {kind: latency_summary(samples) for kind, samples in sorted(latencies.items())},
        "statuses": statuses,
        "errors": len(errors),
        "error_samples": errors[:10],
        "conflicts_409": sum(log.conflicts for log in logs),
        "stale_reads": sum(log.stale_reads for log in logs),
        "acks": [ack for log in logs for ack in log.acks],
    }


def verify_acks(app: Any, acks: list[Ack]) -> dict[str, Any]:
    """Every acknowledged write must be in the log: the notification at its Log-Position is that
    offering at that version (looked up in pages of the notification log)."""
    found: dict[int, tuple[str, int]] = {}
    positions = sorted({ack.position for ack in acks})
    index = 0
    while index < len(positions):
        start = positions[index]
        page = app.recorder.select_notifications(start=start, limit=1000)
        for notification in page:
            found[notification.id] = (str(notification.originator_id), notification.originator_version)
        stop = page[-1].id if page else start
        while index < len(positions) and positions[index] <= stop:
            index += 1
    lost = [
        ack for ack in acks if found.get(ack.position) != (str(UUID(ack.offering_id)), ack.version)
    ]
    return {
        "acknowledged_writes": len(acks),
        "found_in_log": len(acks) - len(lost),
        "lost": len(lost),
        "lost_samples": [vars(ack) for ack in lost[:10]],
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before serving")
        try:
            status, _, _ = Caller(port, None).request("GET", "/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    threads = args.size
    logs = Path(tempfile.mkdtemp(prefix="marketplace-gunicorn-"))
    with fresh_database(database, "load") as url:
        app = flask_app(url)
        try:
            svc = services_of(app)
            progress(f"{database}: {threads} provider accounts and {SEEDED_OFFERINGS} published offerings")
            tokens: list[str | None] = [open_provider(svc.app, i, "load")[1] for i in range(threads)]
            seeder = Seeder(svc.app, mix="published")
            while seeder.report.offerings < SEEDED_OFFERINGS:
                seeder.seed(500)
            svc.runner.catch_up()
            head_before = svc.runner.head()
        finally:
            close_app(app)

        env = {**os.environ, "MARKETPLACE_DATABASE_URL": url}
        port = free_port()
        with open(logs / "gunicorn.log", "wb") as server_log, open(logs / "worker.log", "wb") as worker_log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "projections", "run"],
                cwd=REPO, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
            )
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=REPO, env=env, stdout=server_log, stderr=subprocess.STDOUT,
            )
            try:
                wait_until_serving(port, server)
                progress(f"{database}: baseline, {threads} threads on GET /health for {args.baseline_duration:g} s")
                baseline = run_load(port, [None] * threads, args.baseline_duration, only_health=True)
                progress(f"{database}: mixed load, {threads} threads for {args.duration:g} s")
                mixed = run_load(port, tokens, args.duration, only_health=False)
            finally:
                server_code = stop(server)
                worker_code = stop(worker)

        app = flask_app(url)
        try:
            svc = services_of(app)
            acks = mixed.pop("acks")
            baseline.pop("acks")
            verification = verify_acks(svc.app, acks)
            head_after = svc.runner.head()
        finally:
            close_app(app)
    server_tail = (logs / "gunicorn.log").read_text(errors="replace")[-1500:]
    worker_tail = (logs / "worker.log").read_text(errors="replace")[-800:]
    shutil.rmtree(logs, ignore_errors=True)

    ok = mixed["errors"] == 0 and verification["lost"] == 0
    return {
        **outcome(
            figure={
                "name": "mixed load (catalog 50%, draft 20%, revise 15%, read own write 15%) throughput",
                "value": mixed["requests_per_s"],
                "unit": "requests/s",
                "p99_ms": mixed["latency"]["p99_ms"],
                "p50_ms": mixed["latency"]["p50_ms"],
            },
            baseline={
                "name": "same load generator on GET /health",
                "value": baseline["requests_per_s"],
                "unit": "requests/s",
                "p99_ms": baseline["latency"]["p99_ms"],
                "p50_ms": baseline["latency"]["p50_ms"],
            },
            goal={
                "description": "zero errors and zero lost acknowledged writes (throughput and p99 reported)",
                "met": ok,
                "errors": mixed["errors"],
                "lost_acknowledged_writes": verification["lost"],
            },
            sizes={
                "gunicorn_workers": WORKERS,
                "load_threads": threads,
                "duration_s": args.duration,
                "baseline_duration_s": args.baseline_duration,
                "seeded_published_offerings": SEEDED_OFFERINGS,
                "log_head_before": head_before,
                "log_head_after": head_after,
            },
        ),
        "mixed": mixed,
        "health": baseline,
        "verification": verification,
        "exit_codes": {"gunicorn": server_code, "projection_worker": worker_code},
        "server_log_tail": server_tail if not ok else None,
        "worker_log_tail": worker_tail if not ok else None,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--duration", type=float, default=30.0, help="seconds of mixed load")
        parser.add_argument(
            "--baseline-duration", type=float, default=20.0, help="seconds of /health load"
        )

    args = parse_args(
        __doc__.splitlines()[0], default_size=12, databases=("postgres",), argv=argv,
        size_help="load threads", extra=options,
    )
    return run_benchmark(NAME, args, measure)


if __name__ == "__main__":
    main()
