"""Rebuild of every projection (``runner.rebuild()``: empty the read models, replay the whole log)
from a large realistic log, against the raw read + decode of the same log.

Seeding as in ``bench.catch_up`` (bulk saves of providers and offerings in every state). The read
models are first caught up (populated, as in production before a rebuild; that catch-up is
reported too), then ``runner.rebuild()`` is timed. Baseline: ``recorder.select_notifications``
in pages of 1,000 plus ``mapper.to_domain_event`` for each, before and after (the faster counts).
Goal: under 90 s for 1,000,000 events on SQLite; reported as a ratio to raw decode (rebuild
events/s over read+decode events/s). PostgreSQL is measured at a fifth of the size.

With ``--split`` the rebuild is then timed again as an operator can run it on a machine with
several cores: two ``flask --app wsgi projections rebuild`` processes at once, one for the catalog
and one for every other read model (wall time, process start-up included).

With ``--budget S`` the run calibrates on a small log first and, if the size would not fit in S
seconds, measures the largest size that does and extrapolates the time at 1,000,000 events.

    python -m bench.rebuild [--database sqlite|postgres] [--size N] [--budget S] [--split]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

from bench.common import (
    REPO,
    Profiler,
    calibrate_projection,
    close_app,
    every,
    fit_size,
    flask_app,
    fresh_database,
    outcome,
    parse_args,
    progress,
    rate,
    read_and_decode,
    run_benchmark,
    services_of,
)
from bench.seeding import Seeder

NAME = "rebuild"
GOAL_SIZE = 1_000_000
GOAL_SECONDS = 90.0
POSTGRES_FRACTION = 5
CALIBRATION_EVENTS = 3000
SAFETY = 1.35  # projection slows as the read models grow: calibration on a small log flatters it


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    requested = args.size if database == "sqlite" else max(1, args.size // POSTGRES_FRACTION)
    profiler = Profiler(args.profile)
    with fresh_database(database, "rebuild") as url:
        app = flask_app(url)
        try:
            svc = services_of(app)
            runner = svc.runner
            seeder = Seeder(svc.app, mix="realistic")
            calibration = None
            size = requested
            if args.budget is not None and requested > CALIBRATION_EVENTS:
                calibration = calibrate_projection(svc, seeder, CALIBRATION_EVENTS)
                per_event = (
                    calibration["seed_s_per_event"]
                    + 2 * calibration["project_s_per_event"]  # the first catch-up, the rebuild
                    + 2 * calibration["decode_s_per_event"]
                )
                size = fit_size(
                    requested, args.budget, time.perf_counter() - began, per_event * SAFETY,
                    floor=CALIBRATION_EVENTS, reserve=5,
                )
            progress(f"{database}: seeding {size:,} events (requested {requested:,})")
            seeder.seed(max(0, size - seeder.report.events), progress=every(100_000, database))
            head = runner.head()

            progress(f"{database}: first catch-up (populating the read models)")
            t0 = time.perf_counter()
            populated = runner.catch_up()
            populate_s = time.perf_counter() - t0

            decoded_before, decode_before_s = read_and_decode(svc.app)
            progress(f"{database}: runner.rebuild() over {head:,} events")
            t0 = time.perf_counter()
            with profiler.measure():
                rebuilt = runner.rebuild()
            rebuild_s = time.perf_counter() - t0
            decoded_after, decode_after_s = read_and_decode(svc.app)
            split = rebuild_split(url, runner, head, rebuild_s) if args.split else None
        finally:
            close_app(app)

    figure = rate(rebuilt, rebuild_s)
    baseline = max(rate(decoded_before, decode_before_s), rate(decoded_after, decode_after_s))
    at_goal_s = GOAL_SIZE / figure if figure else None
    scaled = head < GOAL_SIZE
    return {
        **outcome(
            figure={
                "name": "runner.rebuild() (every projection emptied and replayed)",
                "value": figure,
                "unit": "events/s",
                "seconds": round(rebuild_s, 2),
            },
            baseline={
                "name": "recorder.select_notifications (pages of 1,000) + mapper.to_domain_event",
                "value": baseline,
                "unit": "events/s",
                "seconds": round(min(decode_before_s, decode_after_s), 2),
            },
            goal={
                "description": f"rebuild of {GOAL_SIZE:,} events under {GOAL_SECONDS:g} s on SQLite",
                "seconds_under": GOAL_SECONDS,
                "applies": database == "sqlite",
                "met": (at_goal_s is not None and at_goal_s < GOAL_SECONDS) if database == "sqlite" else None,
            },
            sizes={
                "events": head,
                "goal_events": GOAL_SIZE,
                "requested_events": requested,
                "seed": seeder.report.as_dict(),
            },
        ),
        "ratio_meaning": "rebuild events/s over raw read+decode events/s",
        "scaled_down": scaled,
        "rebuild_s_at_goal": round(at_goal_s, 1) if at_goal_s is not None else None,
        "rebuild_s_at_goal_is": "extrapolated linearly from the measured rate" if scaled else "measured",
        "read_decode_s_at_goal": round(GOAL_SIZE / baseline, 1) if baseline else None,
        "split": split,
        "first_catch_up": {"events": populated, "events_per_s": rate(populated, populate_s)},
        "calibration": calibration,
        "profile_top": profiler.top(),
    }


SPLIT = (("catalog",), None)  # None: every other read model


def rebuild_split(url: str, runner: Any, head: int, single_s: float) -> dict[str, Any]:
    """Two rebuild processes at once (the operator's command), each for its share of the read
    models; every projection must end at the head."""
    names = list(runner.projections)
    groups = [group or tuple(n for n in names if n not in SPLIT[0]) for group in SPLIT]
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": url}
    progress(f"rebuild split in two processes: {' | '.join(', '.join(g) for g in groups)}")
    began = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "projections", "rebuild",
             *(option for name in group for option in ("--name", name))],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for group in groups
    ]
    outputs = [process.communicate()[1] for process in processes]
    codes = [process.returncode for process in processes]
    seconds = time.perf_counter() - began
    positions = runner.positions()
    if codes != [0, 0] or any(position != head for position in positions.values()):
        return {  # reported beside the one-process figure, which stands on its own
            "error": f"exit codes {codes}, positions {positions}",
            "stderr_tails": [output[-600:] for output in outputs],
            "seconds": round(seconds, 2),
        }
    return {
        "groups": [list(group) for group in groups],
        "seconds": round(seconds, 2),
        "events_per_s": rate(head, seconds),
        "speed_up_over_one_process": round(single_s / seconds, 3),
        "rebuild_s_at_goal": round(GOAL_SIZE * seconds / head, 1),
        "note": "wall time of both processes, start-up included",
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(
        __doc__.splitlines()[0], default_size=GOAL_SIZE, argv=argv,
        size_help=f"events in the log on SQLite (PostgreSQL: a {POSTGRES_FRACTION}th of it)",
        extra=lambda parser: parser.add_argument(
            "--split", action="store_true", help="also time the rebuild split across two processes"
        ),
    )
    return run_benchmark(NAME, args, measure)


if __name__ == "__main__":
    main()
