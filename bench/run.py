"""`make bench`: measured as ratios against a baseline in the same run; results in bench/results/."""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from arxiv_domain.calendar import announcement_day
from replay.server import ReplayServer
from resources.arxiv_api import ArxivClient, RawHttpCache
from resources.arxiv_listing import RAW_LISTINGS_SCHEMA, fetch_day_listing
from resources.settings import load_settings
from resources.warehouse import WarehouseResource

RESULTS = Path(__file__).resolve().parent / "results"
DEMO_DAY = dt.date(2025, 12, 25)


def requests_per_partition() -> dict:
    """Requests made for the demo day (cold cache) against the floor: ceil(entries needed / page)
    for the submittedDate query plus the same for the replacement walk down to its stop entry."""
    categories = list(load_settings().get("monitor", "categories"))
    window = announcement_day(DEMO_DAY)
    rows = []
    with ReplayServer() as server, tempfile.TemporaryDirectory() as tmp:
        corpus = [e for e in server.state.corpus if set(e.categories) & set(categories)]
        new = [e for e in corpus if window.window_start <= e.published < window.window_end]
        by_update = sorted(corpus, key=lambda e: e.updated, reverse=True)
        stop_at = next((i for i, e in enumerate(by_update) if e.updated < window.window_start), len(by_update) - 1)
        walk_needed = stop_at + 1
        for page_size in (2000, 10, 5, 3):
            client = ArxivClient(server.api_url, RawHttpCache(Path(tmp) / str(page_size)), min_interval=0,
                                 page_size=page_size)
            listing = fetch_day_listing(DEMO_DAY, categories, client)
            floor = math.ceil(len(new) / page_size) + math.ceil(walk_needed / page_size)
            rows.append({"page_size": page_size, "requests": listing.requests, "floor": floor,
                         "ratio": round(listing.requests / floor, 3), "rows": len(listing.rows)})
            rerun = fetch_day_listing(DEMO_DAY, categories, client)
            rows[-1]["rerun_requests"] = rerun.requests - listing.requests  # stats are cumulative per client
    return {"benchmark": "requests_per_partition", "day": DEMO_DAY.isoformat(), "results": rows,
            "target": "requests / floor == 1.0; re-run requests == 0"}


def partition_write(n: int = 10_000) -> dict:
    now = dt.datetime(2025, 12, 25, tzinfo=dt.UTC)
    frame = pl.DataFrame([{
        "arxiv_id": f"2512.{i:05d}", "version": 1 + i % 3, "announce_type": "new", "title": f"Title {i} " * 8,
        "authors": [f"Author {i}", "Second Author"], "abstract": "word " * 200, "primary_category": "cs.LG",
        "categories": ["cs.LG", "cs.AI"], "published": now, "updated": now, "comment": "12 pages", "journal_ref": None,
        "doi": None, "abs_url": f"https://arxiv.org/abs/2512.{i:05d}", "pdf_url": None, "fetched_at": now,
    } for i in range(n)], schema=RAW_LISTINGS_SCHEMA)
    day, other = dt.date(2025, 12, 25), dt.date(2025, 12, 24)
    columns = list(RAW_LISTINGS_SCHEMA)
    insert = (f"INSERT INTO raw_listings (partition_date, {', '.join(columns)}) "
              f"VALUES (?, {', '.join('?' for _ in columns)})")
    rows = frame.rows()
    timings, stored = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        # Like for like: two files holding the same two partitions; each side then replaces the same
        # partition (`day`, already stored) with the same rows, deleting the old ones in one transaction.
        for side in ("bulk", "row_by_row"):
            warehouse = WarehouseResource(database=str(Path(tmp) / f"{side}.duckdb"))
            warehouse.write_partition(other, {"raw_listings": frame.to_arrow()})
            warehouse.write_partition(day, {"raw_listings": frame.to_arrow()})
        warehouse = WarehouseResource(database=str(Path(tmp) / "bulk.duckdb"))
        started = time.perf_counter()
        warehouse.write_partition(day, {"raw_listings": frame.to_arrow()})
        timings["bulk"] = time.perf_counter() - started
        with duckdb.connect(str(Path(tmp) / "row_by_row.duckdb")) as conn:
            started = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute("DELETE FROM raw_listings WHERE partition_date = ?", [day])
            for row in rows:
                conn.execute(insert, [day, *row])
            conn.execute("COMMIT")
            timings["row_by_row"] = time.perf_counter() - started
        for side in ("bulk", "row_by_row"):
            with duckdb.connect(str(Path(tmp) / f"{side}.duckdb"), read_only=True) as conn:
                stored[side] = conn.execute("select partition_date, count(*) from raw_listings group by 1 "
                                            "order by 1").fetchall()
    assert stored["bulk"] == stored["row_by_row"] == [(other, n), (day, n)], stored
    return {"benchmark": "partition_write", "rows": n, "bulk_arrow_seconds": round(timings["bulk"], 3),
            "row_by_row_seconds": round(timings["row_by_row"], 3),
            "speedup": round(timings["row_by_row"] / timings["bulk"], 1),
            "work": "each side replaces the same stored partition (n rows) of a file holding two partitions",
            "data": "generated rows made up in bench/run.py for size (not arXiv data)",
            "target": "speedup >= 20"}


def main() -> None:
    from bench.analysis_quality import analysis_quality
    from bench.backfill import backfill_30_days
    from bench.extraction import throughput_and_recall, workers
    from bench.history import history_year
    from bench.lab_readers import lab_readers
    from bench.llm import client_overhead_and_concurrency, demo_cold_and_warm
    from bench.over_time import main_figures, trends_year, venues
    from bench.reader_loop import reader_loop
    from bench.relevance import relevance
    from bench.site import site_render
    from bench.suite import demo_fresh_clone, test_suite, test_suite_fresh_clone

    benches = {b.__name__: b for b in (requests_per_partition, partition_write, workers, throughput_and_recall,
                                       client_overhead_and_concurrency, demo_cold_and_warm, backfill_30_days,
                                       history_year, analysis_quality, relevance, reader_loop, site_render, venues,
                                       main_figures, trends_year, lab_readers)}
    everything = {**benches, "test_suite": test_suite, "test_suite_fresh_clone": test_suite_fresh_clone,
                  "demo_fresh_clone": demo_fresh_clone}
    # the suite and fresh-clone benchmarks (~13, ~30 and ~15 min) run only when named
    chosen = sys.argv[1:] or list(benches)  # `python -m bench.run backfill_30_days ...`: only these
    benches = everything
    unknown = sorted(set(chosen) - set(benches))
    if unknown:
        sys.exit(f"no benchmark {', '.join(unknown)}; benchmarks: {', '.join(benches)}")
    if len(chosen) > 1:
        # Each in a fresh process: peak RSS (ru_maxrss, also of waited-for children such as an LLM
        # server) and leftovers (pymupdf4llm's ONNX threads keep spinning) never carry over.
        failed = [name for name in chosen if subprocess.run([sys.executable, "-m", "bench.run", name]).returncode]
        sys.exit(f"benchmarks failed: {', '.join(failed)}" if failed else 0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    result = {**benches[chosen[0]](), "machine": machine}
    text = json.dumps(result, indent=2) + "\n"
    # Every run is kept (history/<benchmark>/<time>.json), misses included; <benchmark>.json is the latest.
    history = RESULTS / "history" / result["benchmark"]
    history.mkdir(parents=True, exist_ok=True)
    (history / f"{machine['at'].replace(':', '')}.json").write_text(text)
    (RESULTS / f"{result['benchmark']}.json").write_text(text)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
