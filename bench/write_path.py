"""Write path: commands per second through the HTTP layer against the library's core recorder.

Figure: ``POST /api/v1/offerings`` (complete drafts, one provider, bearer token) through the Flask
test client in-process, and ``PATCH /api/v1/offerings/{id}`` (a revision with ``If-Match``) on
those drafts. Baseline: a bare eventsourcing ``Application`` with the same persistence module on
a fresh database of the same kind, saving one-event aggregates carrying the same details (for
drafts) and get + one event + save (for revisions). Goal: commands/s at least half the baseline's
events/s.

Beside the goal, an informative reference: the framework's floor. A bare route registered on the
same Flask app takes the same JSON body through the same test client and runs exactly the
baseline's operation (the same ``BaselineApplication``, the same database), with nothing of the
service: no authentication, schema, domain or view. It still passes through the app's own
request hooks (the timer and the access-log line), as every route does. Its ratio to the baseline
is the best the service could reach through this client; ``service_to_floor`` says how close the
service is. The three run interleaved in chunks, so a busy moment on the machine falls on all.

    python -m bench.write_path [--database sqlite|postgres] [--size N]   # N commands of each kind
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any
from uuid import UUID

from bench.baseline import BaselineApplication
from bench.common import (
    Profiler,
    close_app,
    eventsourcing_env,
    flask_app,
    fresh_database,
    outcome,
    parse_args,
    progress,
    rate,
    run_benchmark,
    services_of,
)
from bench.seeding import offering_body, open_provider

NAME = "write_path"
GOAL_RATIO = 0.5
CHUNK = 50
WARM_UP = 20


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    size = args.size
    profiler = Profiler(args.profile)
    rng = random.Random(5)
    bodies = [offering_body(rng, i) for i in range(size + WARM_UP)]
    with fresh_database(database, "write") as url, fresh_database(
        database, "writebase", migrate=False
    ) as baseline_url:
        app = flask_app(url)
        baseline = BaselineApplication(env=eventsourcing_env(baseline_url))
        add_floor_routes(app, baseline)
        try:
            svc = services_of(app)
            _, token = open_provider(svc.app, 0)
            client = app.test_client()
            auth = {"Authorization": f"Bearer {token}"}
            statuses: dict[str, int] = {}

            def post(body: dict[str, Any]) -> str | None:
                response = client.post("/api/v1/offerings", json=body, headers=auth)
                statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
                return response.get_json()["id"] if response.status_code == 201 else None

            def patch(offering_id: str, n: int) -> None:
                response = client.patch(
                    f"/api/v1/offerings/{offering_id}",
                    json={"summary": f"Revised summary number {n} for the coming school year."},
                    headers={**auth, "If-Match": '"1"'},
                )
                statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1

            floor_statuses: dict[str, int] = {}

            def floor_post(body: dict[str, Any]) -> str | None:
                response = client.post(FLOOR_PATH, json=body)
                floor_statuses[str(response.status_code)] = floor_statuses.get(str(response.status_code), 0) + 1
                return response.get_json()["id"] if response.status_code == 201 else None

            def floor_patch(listing_id: str, n: int) -> None:
                response = client.patch(
                    f"{FLOOR_PATH}/{listing_id}",
                    json={"summary": f"Revised summary number {n} for the coming school year."},
                )
                floor_statuses[str(response.status_code)] = floor_statuses.get(str(response.status_code), 0) + 1

            for body in bodies[:WARM_UP]:  # compiled statements, caches, connections
                post(body)
                baseline.draft(body)
                floor_post(body)
            statuses.clear()
            floor_statuses.clear()

            progress(f"{database}: {size} drafts over HTTP and {size} bare saves, interleaved")
            http_ids: list[str | None] = []
            base_ids: list[Any] = []
            floor_ids: list[str | None] = []
            http_s = base_s = floor_s = 0.0
            for start in range(WARM_UP, WARM_UP + size, CHUNK):
                chunk = bodies[start : start + CHUNK]
                began = time.perf_counter()
                base_ids.extend(baseline.draft(body) for body in chunk)
                base_s += time.perf_counter() - began
                began = time.perf_counter()
                with profiler.measure():
                    http_ids.extend(post(body) for body in chunk)
                http_s += time.perf_counter() - began
                began = time.perf_counter()
                floor_ids.extend(floor_post(body) for body in chunk)
                floor_s += time.perf_counter() - began
            draft_statuses = dict(statuses)
            statuses.clear()
            floor_draft_statuses = dict(floor_statuses)
            floor_statuses.clear()

            progress(f"{database}: {size} revisions over HTTP and {size} bare get+append+save")
            created = [i for i in http_ids if i is not None]
            floor_created = [i for i in floor_ids if i is not None]
            patch_s = base_patch_s = floor_patch_s = 0.0
            for start in range(0, size, CHUNK):
                began = time.perf_counter()
                for n, listing_id in enumerate(base_ids[start : start + CHUNK], start):
                    baseline.revise(listing_id, {"summary": f"Revised summary number {n}."})
                base_patch_s += time.perf_counter() - began
                began = time.perf_counter()
                with profiler.measure():
                    for n, offering_id in enumerate(created[start : start + CHUNK], start):
                        patch(offering_id, n)
                patch_s += time.perf_counter() - began
                began = time.perf_counter()
                for n, listing_id in enumerate(floor_created[start : start + CHUNK], start):
                    floor_patch(listing_id, n)
                floor_patch_s += time.perf_counter() - began
            patch_statuses = dict(statuses)
            floor_patch_statuses = dict(floor_statuses)
        finally:
            close_app(app)
            baseline.close()

    drafts_per_s = rate(size, http_s)
    saves_per_s = rate(size, base_s)
    patches_per_s = rate(len(created), patch_s)
    revisions_per_s = rate(len(base_ids), base_patch_s)
    draft_ratio = drafts_per_s / saves_per_s if saves_per_s else None
    patch_ratio = patches_per_s / revisions_per_s if revisions_per_s else None
    floor_drafts_per_s = rate(len(floor_ids), floor_s)
    floor_patches_per_s = rate(len(floor_created), floor_patch_s)
    errors = sum(n for s, n in {**draft_statuses}.items() if not s.startswith("2")) + sum(
        n for s, n in patch_statuses.items() if not s.startswith("2")
    )
    return {
        **outcome(
            figure={
                "name": "POST /api/v1/offerings (draft) through the Flask test client",
                "value": drafts_per_s,
                "unit": "commands/s",
            },
            baseline={
                "name": "bare eventsourcing Application, one-event aggregate, one save each",
                "value": saves_per_s,
                "unit": "events/s",
            },
            goal={
                "description": f"commands/s at least {GOAL_RATIO} x the core recorder's events/s",
                "ratio_at_least": GOAL_RATIO,
                "met": draft_ratio is not None and draft_ratio >= GOAL_RATIO,
            },
            sizes={"commands_per_kind": size, "chunk": CHUNK, "warm_up": WARM_UP},
        ),
        "revisions": {
            "figure": {"name": "PATCH /api/v1/offerings/{id} with If-Match", "value": patches_per_s, "unit": "commands/s"},
            "baseline": {"name": "bare Application get + one event + save", "value": revisions_per_s, "unit": "events/s"},
            "ratio": None if patch_ratio is None else round(patch_ratio, 4),
            "goal_met": patch_ratio is not None and patch_ratio >= GOAL_RATIO,
        },
        "floor": {
            "name": "bare route on the same app: JSON body in, the baseline's save, JSON out",
            "drafts": _floor_figure(floor_drafts_per_s, saves_per_s, drafts_per_s),
            "revisions": _floor_figure(floor_patches_per_s, revisions_per_s, patches_per_s),
            "statuses": {"drafts": floor_draft_statuses, "revisions": floor_patch_statuses},
        },
        "statuses": {"drafts": draft_statuses, "revisions": patch_statuses},
        "errors": errors,
        "seconds": {
            "http_drafts": round(http_s, 2),
            "baseline_drafts": round(base_s, 2),
            "http_revisions": round(patch_s, 2),
            "baseline_revisions": round(base_patch_s, 2),
            "floor_drafts": round(floor_s, 2),
            "floor_revisions": round(floor_patch_s, 2),
        },
        "profile_top": profiler.top(),
    }


FLOOR_PATH = "/bench/floor"


def add_floor_routes(app: Any, baseline: BaselineApplication) -> None:
    """The framework's floor: routes on the service's app that do only the baseline's work."""
    from flask import request

    def floor_draft() -> Any:
        listing_id = baseline.draft(request.get_json())
        return {"id": str(listing_id)}, 201

    def floor_revise(listing_id: str) -> Any:
        baseline.revise(UUID(listing_id), request.get_json())
        return {"id": listing_id}, 200

    app.add_url_rule(FLOOR_PATH, "bench_floor_draft", floor_draft, methods=["POST"])
    app.add_url_rule(f"{FLOOR_PATH}/<listing_id>", "bench_floor_revise", floor_revise, methods=["PATCH"])


def _floor_figure(floor_per_s: float, baseline_per_s: float, service_per_s: float) -> dict[str, Any]:
    return {
        "value": floor_per_s,
        "unit": "commands/s",
        "ratio_to_baseline": round(floor_per_s / baseline_per_s, 4) if baseline_per_s else None,
        "service_to_floor": round(service_per_s / floor_per_s, 4) if floor_per_s else None,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], default_size=1000, argv=argv, size_help="commands of each kind")
    return run_benchmark(NAME, args, measure)


if __name__ == "__main__":
    main()
