"""Run every benchmark, each in its own process and on each database it applies to, within a total
time budget (default 820 s, for a 15-minute limit on a 2-core machine).

Each step gets a share of the budget (``--budget`` for the sizing benchmarks, which scale their
size down to fit and extrapolate the goal size); if earlier steps ran long, later shares shrink in
proportion. Every step's result line is printed as it arrives and kept in
``bench/results/<time>.jsonl``; the last line is a summary: every figure, baseline, ratio and goal,
the machine, the total wall time, and whether the service's source changed on disk during the run
(each step records a digest of the source it measured).

    python -m bench.run_all [--total-budget SECONDS] [--only NAME[,NAME...]] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.common import REPO, emit, load_average, machine, progress

RESULTS = REPO / "bench" / "results"


@dataclass(frozen=True)
class Step:
    module: str
    database: str
    share: float  # planned seconds
    args: tuple[str, ...] = ()
    budgeted: bool = True  # pass --budget (the benchmark sizes itself to fit)


STEPS = (
    Step("write_path", "sqlite", 25, ("--size", "500"), budgeted=False),
    Step("write_path", "postgres", 45, ("--size", "500"), budgeted=False),
    Step("gunicorn_load", "postgres", 70, ("--duration", "30", "--baseline-duration", "20"), budgeted=False),
    Step("catch_up", "sqlite", 135),
    Step("catch_up", "postgres", 115),
    Step("catalog_query", "sqlite", 120),
    Step("catalog_query", "postgres", 105),
    Step("rebuild", "sqlite", 155),
    Step("rebuild", "postgres", 70),
    Step("export_memory", "sqlite", 90, ("--size", "100000"), budgeted=False),
    Step("export_memory", "postgres", 90, ("--size", "100000"), budgeted=False),
    Step("writes_during_catch_up", "sqlite", 35, ("--size", "20000"), budgeted=False),
    Step("writes_during_catch_up", "postgres", 45, ("--size", "20000"), budgeted=False),
    Step("read_your_writes", "sqlite", 15, ("--size", "300"), budgeted=False),
    Step("read_your_writes", "postgres", 20, ("--size", "300"), budgeted=False),
)
QUICK_ARGS = {
    "write_path": ("--size", "60"),
    "gunicorn_load": ("--size", "4", "--duration", "5", "--baseline-duration", "3"),
    "catch_up": ("--size", "4000"),
    "catalog_query": ("--size", "500", "--requests", "20"),
    "rebuild": ("--size", "5000"),
    "export_memory": ("--size", "2000"),
    "writes_during_catch_up": ("--size", "3000"),
    "read_your_writes": ("--size", "20"),
}


def run_step(step: Step, budget: float | None, quick: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", f"bench.{step.module}", "--database", step.database]
    command += list(QUICK_ARGS[step.module] if quick else step.args)
    if budget is not None and step.budgeted and not quick:
        command += ["--budget", f"{budget:.0f}"]
    limit = 3 * (budget or step.share) + 120
    progress(f"run_all: {' '.join(command[2:])} (budget {budget or step.share:.0f} s)")
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, _ = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the step's own process group, nothing else
        process.communicate()
        return {
            "benchmark": step.module,
            "database": step.database,
            "error": f"killed after {limit:.0f} s (over its time limit)",
            "wall_s": round(time.perf_counter() - began, 1),
        }
    lines = [line for line in stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        result = {
            "benchmark": step.module,
            "database": step.database,
            "error": f"no JSON result (exit {process.returncode})",
            "stdout_tail": stdout[-1000:],
        }
    result.setdefault("wall_s", round(time.perf_counter() - began, 1))
    return result


def summary_of(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("benchmark", "database", "ratio", "scaled_down", "wall_s", "error", "skipped")
    brief = {k: result[k] for k in keys if k in result}
    code = (result.get("machine") or {}).get("code") or {}
    brief["source_digest"] = code.get("source_digest")
    for key in ("figure", "baseline"):
        if key in result:
            part = result[key]
            brief[key] = {k: v for k, v in part.items() if k != "name"} | {"what": part.get("name")}
    if "goal" in result:
        brief["goal"] = {"description": result["goal"].get("description"), "met": result["goal"].get("met")}
    if "sizes" in result:
        brief["sizes"] = {k: v for k, v in result["sizes"].items() if k != "seed"}
    details = (
        "extrapolated_to_goal", "rebuild_s_at_goal", "revisions", "floor", "verification", "cold",
        "while_publishing", "during", "rebuild", "statuses",
    )
    for key in details:
        if result.get(key) is not None:
            brief[key] = result[key]
    return brief


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-budget", type=float, default=820.0, help="seconds for everything")
    parser.add_argument("--only", default=None, help="comma-separated benchmark names")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of every step")
    args = parser.parse_args(argv)
    steps = [s for s in STEPS if args.only is None or s.module in args.only.split(",")]

    began = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    results = []
    for index, step in enumerate(steps):
        left = args.total_budget - (time.perf_counter() - began)
        planned = sum(s.share for s in steps[index:])
        budget = max(20.0, step.share * min(1.0, left / planned)) if planned else step.share
        result = run_step(step, budget, args.quick)
        results.append(result)
        emit(result)
        with record.open("a") as out:
            out.write(json.dumps(result, default=str) + "\n")

    total = round(time.perf_counter() - began, 1)
    digests = sorted(
        {
            ((r.get("machine") or {}).get("code") or {}).get("source_digest")
            for r in results
            if r.get("machine")
        }
        - {None}
    )
    final = {
        "benchmark": "run_all",
        "total_wall_s": total,
        "total_budget_s": args.total_budget,
        "quick": args.quick,
        "goals_missed": [
            f"{r['benchmark']}/{r['database']}"
            for r in results
            if r.get("goal", {}).get("met") is False or "error" in r
        ],
        "results": [summary_of(r) for r in results],
        "source_digests": digests,
        "source_changed_during_run": len(digests) > 1,
        "machine": machine(),
        "load_average_after": load_average(),
        "recorded_in": str(record.relative_to(REPO)),
    }
    with record.open("a") as out:
        out.write(json.dumps(final, default=str) + "\n")
    emit(final)
    return final


if __name__ == "__main__":
    main()
