"""Projection catch-up: every read model from position zero over a realistic log, against reading
and decoding the same log with the library's core recorder.

Seeding: providers and offerings (drafted, published, revised, a few withdrawn), built through the
domain and saved in bulk (``app.save`` of about 1,000 events per transaction). Figure:
``runner.catch_up()`` from zero, events/s (events read, whether or not a projection handles them).
Baseline: ``app.recorder.select_notifications`` in pages of 1,000 plus ``app.mapper.to_domain_event``
for every notification, timed before and after the figure; the faster of the two counts.
Goal: a ratio of at least 0.35 at 200,000 events.

With ``--budget S`` the run calibrates on a small log first and, if the goal size would not fit
in S seconds, measures the largest size that does and extrapolates the time at the goal size.

    python -m bench.catch_up [--database sqlite|postgres] [--size N] [--budget S]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.common import (
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

NAME = "catch_up"
GOAL_SIZE = 200_000
GOAL_RATIO = 0.35
CALIBRATION_EVENTS = 3000
SAFETY = 1.35  # projection slows as the read models grow: calibration on a small log flatters it


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    requested = args.size
    profiler = Profiler(args.profile)
    with fresh_database(database, "catchup") as url:
        app = flask_app(url)
        try:
            svc = services_of(app)
            runner = svc.runner
            seeder = Seeder(svc.app, mix="realistic")
            calibration: dict[str, Any] | None = None
            size = requested
            if args.budget is not None and requested > CALIBRATION_EVENTS:
                calibration = calibrate_projection(svc, seeder, CALIBRATION_EVENTS)
                runner.reset(list(runner.projections))
                per_event = (
                    calibration["seed_s_per_event"]
                    + calibration["project_s_per_event"]
                    + 2 * calibration["decode_s_per_event"]
                )
                size = fit_size(
                    requested, args.budget, time.perf_counter() - began, per_event * SAFETY,
                    floor=CALIBRATION_EVENTS, reserve=5,
                )
            progress(f"{database}: seeding {size:,} events (requested {requested:,})")
            seeder.seed(max(0, size - seeder.report.events), progress=every(50_000, database))
            head = runner.head()

            progress(f"{database}: baseline read + decode of {head:,} events")
            decoded_before, decode_before_s = read_and_decode(svc.app)
            progress(f"{database}: runner.catch_up() from zero")
            t0 = time.perf_counter()
            with profiler.measure():
                read = runner.catch_up()
            catch_up_s = time.perf_counter() - t0
            decoded_after, decode_after_s = read_and_decode(svc.app)
            positions = runner.positions()
        finally:
            close_app(app)

    figure = rate(read, catch_up_s)
    baseline = max(rate(decoded_before, decode_before_s), rate(decoded_after, decode_after_s))
    ratio = figure / baseline if baseline else 0.0
    scaled = head < GOAL_SIZE
    return {
        **outcome(
            figure={"name": "runner.catch_up() from zero, every projection", "value": figure, "unit": "events/s"},
            baseline={
                "name": "recorder.select_notifications (pages of 1,000) + mapper.to_domain_event",
                "value": baseline,
                "unit": "events/s",
            },
            goal={
                "description": f"ratio at least {GOAL_RATIO} at {GOAL_SIZE:,} events",
                "ratio_at_least": GOAL_RATIO,
                "met": ratio >= GOAL_RATIO,
            },
            sizes={"events": head, "goal_events": GOAL_SIZE, "requested_events": requested, "seed": seeder.report.as_dict()},
        ),
        "scaled_down": scaled,
        "extrapolated_to_goal": {
            "events": GOAL_SIZE,
            "catch_up_s": round(GOAL_SIZE / figure, 1) if figure else None,
            "read_decode_s": round(GOAL_SIZE / baseline, 1) if baseline else None,
            "note": "linear in events at the measured rates; a larger read model may be slower",
        }
        if scaled
        else None,
        "seconds": {
            "catch_up": round(catch_up_s, 2),
            "read_decode_before": round(decode_before_s, 2),
            "read_decode_after": round(decode_after_s, 2),
        },
        "projections": sorted(positions),
        "events_read": read,
        "calibration": calibration,
        "profile_top": profiler.top(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(
        __doc__.splitlines()[0], default_size=GOAL_SIZE, argv=argv, size_help="events in the log"
    )
    return run_benchmark(NAME, args, measure)


if __name__ == "__main__":
    main()
