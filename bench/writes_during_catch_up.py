"""Commands while a projection worker rebuilds: ``POST /api/v1/offerings`` latency and rate while
another process replays the log into the read models, against the same commands with the worker
idle.

On SQLite one writer at a time holds the whole file, so every command's save waits for whatever
write transaction the projection worker has open. The worker works a batch out before its write
transaction (``projections.runner``) and holds the lock only while writing; this benchmark shows
what commands feel while it runs.

Seeding: a realistic log (as in ``bench.catch_up``), then the read models are left empty. Figure:
drafts posted back to back through the Flask test client in this process while a separate
process (the projection worker's code: ``runner.rebuild()``) replays the whole log; p99 latency.
Baseline: the same drafts with no worker running, before and after (the better counts). The
ratio is baseline p99 / figure p99 (1.0: the rebuild costs commands nothing). No goal is set; the
figures are reported beside the rebuild's own time.

    python -m bench.writes_during_catch_up [--database sqlite|postgres] [--size N]   # events
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from typing import Any

from bench.common import (
    REPO,
    close_app,
    every,
    flask_app,
    fresh_database,
    latency_summary,
    outcome,
    parse_args,
    progress,
    rate,
    run_benchmark,
    services_of,
)
from bench.seeding import Seeder, offering_body, open_provider

NAME = "writes_during_catch_up"
DEFAULT_SIZE = 30_000
IDLE_COMMANDS = 300
WORKER = "--worker"


def worker(url: str) -> None:
    """The other process: build the service, say so, wait for the go, rebuild, report."""
    app = flask_app(url)
    try:
        runner = services_of(app).runner
        print("ready", flush=True)
        sys.stdin.readline()
        began = time.perf_counter()
        events = runner.rebuild()
        print(json.dumps({"events": events, "seconds": time.perf_counter() - began}), flush=True)
    finally:
        close_app(app)


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(9)
    with fresh_database(database, "duringcatchup") as url:
        app = flask_app(url)
        try:
            svc = services_of(app)
            progress(f"{database}: seeding {args.size:,} events")
            Seeder(svc.app, mix="realistic").seed(args.size, progress=every(20_000, database))
            svc.runner.catch_up()  # populated, as in production before a rebuild
            _, token = open_provider(svc.app, 0)
            client = app.test_client()
            auth = {"Authorization": f"Bearer {token}"}
            statuses: dict[str, int] = {}

            def post() -> float:
                body = offering_body(rng, rng.randrange(1_000_000))
                began = time.perf_counter()
                response = client.post("/api/v1/offerings", json=body, headers=auth)
                took = time.perf_counter() - began
                statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
                return took

            def idle() -> tuple[list[float], float]:
                began = time.perf_counter()
                samples = [post() for _ in range(IDLE_COMMANDS)]
                return samples, time.perf_counter() - began

            for _ in range(20):  # warm-up
                post()
            idle_before, idle_before_s = idle()

            progress(f"{database}: commands while another process rebuilds every projection")
            child = subprocess.Popen(
                [sys.executable, "-m", f"bench.{NAME}", WORKER, url],
                cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert child.stdin is not None and child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("the rebuilding process did not start")
            finished: list[str] = []
            reader = threading.Thread(target=lambda: finished.append(child.stdout.readline()))
            reader.start()
            child.stdin.write("go\n")
            child.stdin.flush()
            during: list[float] = []
            began = time.perf_counter()
            while not finished:
                during.append(post())
            during_s = time.perf_counter() - began
            reader.join()
            child.wait(timeout=60)
            rebuilt = json.loads(finished[0]) if finished[0].strip() else {}
            if child.returncode != 0 or not rebuilt:
                raise RuntimeError(f"the rebuilding process failed (exit {child.returncode})")

            idle_after, idle_after_s = idle()
        finally:
            close_app(app)

    before, after = latency_summary(idle_before), latency_summary(idle_after)
    best = before if before["p99_ms"] <= after["p99_ms"] else after
    under = latency_summary(during)
    return {
        **outcome(
            figure={
                "name": "POST /api/v1/offerings p99 while another process rebuilds every projection",
                "value": under["p99_ms"],
                "unit": "ms",
            },
            baseline={"name": "the same commands, no rebuild running", "value": best["p99_ms"], "unit": "ms"},
            goal={"description": "none set: reported beside the rebuild's own time", "met": None},
            sizes={"events": args.size, "commands_during": len(during), "commands_idle": 2 * IDLE_COMMANDS},
        ),
        # ratio as baseline / figure: 1.0 means the rebuild costs commands nothing
        "ratio": round(best["p99_ms"] / under["p99_ms"], 4) if under["p99_ms"] else None,
        "during": {**under, "commands_per_s": rate(len(during), during_s)},
        "idle_before": {**before, "commands_per_s": rate(len(idle_before), idle_before_s)},
        "idle_after": {**after, "commands_per_s": rate(len(idle_after), idle_after_s)},
        "rebuild": {
            "events": rebuilt["events"],
            "seconds": round(rebuilt["seconds"], 2),
            "events_per_s": rate(rebuilt["events"], rebuilt["seconds"]),
        },
        "statuses": statuses,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(
        __doc__.splitlines()[0], default_size=DEFAULT_SIZE, argv=argv, size_help="events in the log"
    )
    return run_benchmark(NAME, args, measure)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == WORKER:
        worker(sys.argv[2])
    else:
        main()
