"""Award register export: memory stays flat however many rows are streamed.

Figure: peak Python memory (tracemalloc) while ``GET /api/v1/awards/export.csv`` streams N award
rows through the Flask test client, chunk by chunk, and the same at N/10 rows: flat means the two
peaks are about equal. Baseline: a raw SQL dump of the same rows (a server-side cursor written by
the csv module) measured the same way in the same run. The rows are inserted straight into the
``award_register`` read model: this measures the export, not the projection.

    python -m bench.export_memory [--database sqlite|postgres] [--size N]   # N award rows
"""

from __future__ import annotations

import argparse
import csv
import time
import tracemalloc
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import insert, select

from bench.common import (
    close_app,
    flask_app,
    fresh_database,
    outcome,
    parse_args,
    progress,
    run_benchmark,
    services_of,
)
from projections.tables import award_register

NAME = "export_memory"
PARTIES = 4  # member allocations per award
FLAT_AT_MOST = 1.5  # peak at N rows over peak at N/10 rows


class _Sink:
    """Counts what would be written, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text)
        return len(text)


def _seed(engine: Any, rows: int) -> None:
    awarded = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    batch: list[dict[str, Any]] = []
    for n in range(rows // PARTIES):
        contract_id, provider_id, lead = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for party in range(PARTIES):
            batch.append(
                {
                    "contract_id": contract_id,
                    "district_id": lead if party == 0 else uuid.uuid4(),
                    "solicitation_id": uuid.uuid4(),
                    "consortium_id": None,
                    "consortium_name": "Crazy Mountains Cooperative",
                    "lead_district_id": lead,
                    "district_name": f"District {n}-{party}",
                    "district_state": "MT",
                    "provider_id": provider_id,
                    "provider_name": f"Provider {n % 500}",
                    "method": "competitive_proposals",
                    "method_rationale": "Estimated value above the simplified acquisition threshold.",
                    "contract_type": "fixed_unit_price",
                    "selection_reason": "Highest weighted total against the published criteria.",
                    "rejections": [{"provider_id": str(uuid.uuid4()), "reason": "Lower total."}],
                    "price_basis": "Competitive proposals; the pooled seats reach a volume tier.",
                    "cost_price_analysis": "Compared with each other and with list prices.",
                    "justification": None,
                    "seats": 400,
                    "amount_cents": 13600000,
                    "unit_price_cents": 34000,
                    "list_unit_price_cents": 37000,
                    "total_value_cents": 13600000 * PARTIES,
                    "term_start": date(2026, 7, 1),
                    "term_end": date(2027, 6, 30),
                    "awarded_at": awarded + timedelta(hours=n),
                    "joined_at": awarded + timedelta(hours=n),
                    "signed_at": None,
                    "status": "active",
                    "end_reason": None,
                }
            )
            if len(batch) == 5000:
                with engine.begin() as conn:
                    conn.execute(insert(award_register), batch)
                batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(award_register), batch)


def _peak(run: Callable[[], int]) -> tuple[int, float, int]:
    """(peak bytes allocated during ``run``, seconds, bytes it produced)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    produced = run()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, seconds, produced


def _through_http(client: Any, limit_date: str | None) -> Callable[[], int]:
    def run() -> int:
        query = {"date_to": limit_date} if limit_date else {}
        response = client.get("/api/v1/awards/export.csv", query_string=query, buffered=False)
        produced = 0
        for chunk in response.response:
            produced += len(chunk)
        response.close()
        return produced

    return run


def _raw_dump(engine: Any, limit: datetime | None) -> Callable[[], int]:
    def run() -> int:
        sink = _Sink()
        writer = csv.writer(sink)
        query = select(award_register).order_by(
            award_register.c.awarded_at, award_register.c.contract_id, award_register.c.district_id
        )
        if limit is not None:
            query = query.where(award_register.c.awarded_at < limit)
        with engine.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(query):
                writer.writerow(row)
        return sink.bytes

    return run


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    rows = args.size
    with fresh_database(database, NAME) as url:
        app = flask_app(url)
        try:
            svc = services_of(app)
            progress(f"{database}: inserting {rows:,} award rows")
            _seed(svc.engines.writer, rows)
            # About a tenth of the rows: every award before the day a tenth of them is reached
            # (the export's date_to is a whole day, inclusive; the dump's bound is that midnight).
            first = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
            day = (first + timedelta(hours=rows // PARTIES // 10)).date()
            midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            client = app.test_client()
            progress(f"{database}: streaming about {rows // 10:,} and {rows:,} rows")
            http_small = _peak(_through_http(client, (day - timedelta(days=1)).isoformat()))
            raw_small = _peak(_raw_dump(svc.engines.reader, midnight))
            http_full = _peak(_through_http(client, None))
            raw_full = _peak(_raw_dump(svc.engines.reader, None))
        finally:
            close_app(app)
    flatness = http_full[0] / http_small[0] if http_small[0] else None
    return outcome(
        figure={
            "name": "peak memory streaming GET /api/v1/awards/export.csv",
            "value": round(http_full[0] / 1024, 1),
            "unit": "KiB",
            "seconds": round(http_full[1], 2),
            "bytes": http_full[2],
            "rows_per_s": round(rows / http_full[1], 1) if http_full[1] else None,
        },
        baseline={
            "name": "peak memory of a raw SQL dump (server-side cursor, csv module), same rows",
            "value": round(raw_full[0] / 1024, 1),
            "unit": "KiB",
            "seconds": round(raw_full[1], 2),
            "bytes": raw_full[2],
        },
        goal={
            "description": f"memory flat: peak at {rows:,} rows at most {FLAT_AT_MOST}x the peak at "
            "a tenth of them",
            "flatness": None if flatness is None else round(flatness, 3),
            "met": flatness is not None and flatness <= FLAT_AT_MOST,
        },
        sizes={"rows": rows, "small_rows": "about a tenth (filtered by date_to)", "parties_per_award": PARTIES},
        small={
            "http_peak_kib": round(http_small[0] / 1024, 1),
            "raw_peak_kib": round(raw_small[0] / 1024, 1),
            "http_bytes": http_small[2],
            "raw_bytes": raw_small[2],
        },
        ratio_meaning="export peak memory / raw dump peak memory (both streamed)",
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], default_size=100_000, argv=argv, size_help="award rows")
    return run_benchmark(NAME, args, measure)


if __name__ == "__main__":
    main()
