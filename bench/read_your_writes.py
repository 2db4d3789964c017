"""Reading one's own write: catching every read model up with one new event, as a read that sends
``Min-Log-Position`` does in the web process, against the library reading and decoding that event.

Seeding: a realistic log (as in ``bench.catch_up``), every read model caught up. Then ``--size``
times: one offering draft saved through the application (one event), the baseline timed (the
core recorder's ``select_notifications`` of that one notification and ``mapper.to_domain_event``),
then the figure (``runner.catch_up()``: positions read, the batch worked out and written, every
read model's position checked and moved). Figure: the catch-up's p50 in milliseconds; baseline:
the read and decode's p50; the ratio is figure / baseline (lower is better). No goal is set: the
figure is what a read after a write adds to its own time, beside what reading the event costs.

Beside it, ``catalog_only``: the same with a second draft caught up in the catalog alone
(``runner.catch_up(names=["catalog"])``), which is all a read of an offering or the catalog
waits for (its view declares the read models it shows, ``marketplace.web.reads``); the others are
then caught up untimed.

    python -m bench.read_your_writes [--database sqlite|postgres] [--size N]   # catch-ups
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.common import (
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
from bench.seeding import Seeder, open_provider
from marketplace.domain.offerings import Offering

NAME = "read_your_writes"
DEFAULT_SIZE = 300
SEED_EVENTS = 5000


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    with fresh_database(database, "ryw") as url:
        app = flask_app(url)
        try:
            svc = services_of(app)
            runner, store = svc.runner, svc.app
            progress(f"{database}: seeding {SEED_EVENTS:,} events and catching up")
            Seeder(store, mix="realistic").seed(SEED_EVENTS)
            account, _ = open_provider(store, 0, label="ryw")
            runner.catch_up()
            progress(f"{database}: {args.size} single-event catch-ups")
            figure_s: list[float] = []
            baseline_s: list[float] = []
            catalog_s: list[float] = []
            for number in range(args.size):
                store.save(Offering.draft(account, {"title": f"Read-your-writes draft {number}"}))
                head = runner.head()
                began = time.perf_counter()
                notification = store.recorder.select_notifications(start=head, limit=1)[0]
                store.mapper.to_domain_event(notification)
                baseline_s.append(time.perf_counter() - began)
                began = time.perf_counter()
                read = runner.catch_up()
                figure_s.append(time.perf_counter() - began)
                if read != 1:
                    raise RuntimeError(f"a catch-up read {read} notifications, not the one written")
                store.save(Offering.draft(account, {"title": f"Read-your-writes catalog {number}"}))
                began = time.perf_counter()
                read = runner.catch_up(names=["catalog"])
                catalog_s.append(time.perf_counter() - began)
                if read != 1:
                    raise RuntimeError(f"a catalog catch-up read {read} notifications, not one")
                runner.catch_up()
        finally:
            close_app(app)
    figure, baseline = latency_summary(figure_s), latency_summary(baseline_s)
    catalog = latency_summary(catalog_s)
    return outcome(
        figure={
            "name": f"runner.catch_up() of one new event, {len(runner.projections)} read models",
            "value": figure["p50_ms"],
            "unit": "ms",
            **figure,
        },
        baseline={
            "name": "recorder.select_notifications of that event + mapper.to_domain_event",
            "value": baseline["p50_ms"],
            "unit": "ms",
            **baseline,
        },
        goal={
            "description": "none set: what a read after a write adds (ratio: lower is better)",
            "met": None,
        },
        sizes={
            "seed_events": SEED_EVENTS,
            "catch_ups": args.size,
            "read_models": sorted(runner.projections),
        },
        catalog_only={
            "name": "runner.catch_up(names=['catalog']) of one new event",
            **catalog,
            "ratio_to_baseline": _ratio(catalog["p50_ms"], baseline["p50_ms"]),
            "ratio_to_figure": _ratio(catalog["p50_ms"], figure["p50_ms"]),
        },
    )


def _ratio(value: float, to: float) -> float | None:
    return round(value / to, 2) if to else None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(
        __doc__.splitlines()[0],
        default_size=DEFAULT_SIZE,
        argv=argv,
        size_help="single-event catch-ups",
    )
    return run_benchmark(NAME, args, measure)


if __name__ == "__main__":
    main()
