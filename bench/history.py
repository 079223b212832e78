"""Saved queries and export over a SYNTHETIC year of history.

The year is built in its own database file in a temporary folder, never the project's data
directory. Listings: the real entries cycled under synthetic ids (bench/synthetic.py), 1,500 per
announcement day. Filtered papers: the project's own filter over them with the keyword and watched
author of the backfill benchmark (~5 % kept). Full text: the real extraction of the three real PDFs
the corpus points at, re-used for each copy; the rest stored as download_failed. Analyses: NOT model output —
sentences of each paper's real abstract placed in the analysis fields, model `synthetic`, only so
that the tables have realistic sizes and the search query has analyses to scan.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

DAYS = 250  # announcement days in a year (weekdays minus about ten holidays)
PER_DAY = 1500
FIRST_DAY = dt.date(2025, 1, 6)


def _sentences(text: str, n: int) -> list[str]:
    parts = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    return [parts[i % len(parts)] for i in range(n)] if parts else [text] * n


def build_year(database: Path, days_count: int = DAYS, per_day: int = PER_DAY) -> dict:
    """Write the synthetic year into `database` with the project's own partition writes."""
    from arxiv_domain.announce import classify
    from bench.backfill import KEYWORDS, WATCH_AUTHORS
    from bench.synthetic import announcing_days, synthetic_corpus
    from llm_analysis.papers import SUMMARY_SCHEMA
    from pdf_reading.extraction import extract_file
    from pdf_reading.links import find_links, merge_links
    from pdf_reading.papers import FULLTEXT_SCHEMA
    from ranking.keywords import FILTERED_SCHEMA, FilterRules, filter_listings
    from replay.corpus import realdata_dir
    from resources.arxiv_listing import RAW_LISTINGS_SCHEMA
    from resources.settings import load_settings
    from resources.warehouse import WarehouseResource

    settings = load_settings()
    monitored = set(settings.get("monitor", "categories"))
    # ~5 % kept, as in the backfill benchmark; half of those have a real PDF's text.
    rules = FilterRules.build(KEYWORDS, authors=WATCH_AUTHORS)
    days = announcing_days(FIRST_DAY, days_count)
    entries, aliases = synthetic_corpus(days, per_day)
    pdf_dir = realdata_dir() / "pdf"
    extracted = {name: extract_file(pdf_dir / name) for name in set(aliases.values())}
    warehouse = WarehouseResource(database=str(database))
    now = dt.datetime.now(dt.UTC)
    # synthetic_corpus emits the days in order, per_day entries each.
    by_day = {day: entries[i * per_day : (i + 1) * per_day] for i, day in enumerate(days)}
    started = time.perf_counter()
    for day in days:
        rows = [
            {
                "arxiv_id": e.arxiv_id,
                "version": e.version,
                "announce_type": classify({"primary_category": e.categories[0]}, monitored, e.version == 1),
                "title": e.title,
                "authors": e.authors,
                "abstract": e.abstract,
                "primary_category": e.categories[0],
                "categories": e.categories,
                "published": e.published,
                "updated": e.updated,
                "comment": e.comment,
                "journal_ref": e.journal_ref,
                "doi": e.doi,
                "abs_url": f"https://arxiv.org/abs/{e.arxiv_id}v{e.version}",
                "pdf_url": None,
                "fetched_at": now,
            }
            for e in by_day[day]
        ]
        kept = filter_listings(rows, rules)
        fulltext, summaries = [], []
        by_id = {(r["arxiv_id"], r["version"]): r for r in rows}
        for k in kept:
            row = by_id[(k["arxiv_id"], k["version"])]
            pdf = aliases.get(f"{k['arxiv_id']}v{k['version']}")
            ex = extracted.get(pdf) if pdf else None
            links = merge_links(
                find_links(row["abstract"], "abstract"), find_links(row["comment"], "comment"), ex.links if ex else []
            )
            fulltext.append(
                {
                    "arxiv_id": k["arxiv_id"],
                    "version": k["version"],
                    "status": ex.status if ex else "download_failed",
                    "error": None if ex else "synthetic: no PDF",
                    "pages": ex.pages if ex else None,
                    "chars": ex.chars if ex else None,
                    "text": ex.text if ex else None,
                    "sections": [{"title": s.title, "kind": s.kind, "text": s.text} for s in ex.sections] if ex else [],
                    "links": links,
                    "pdf_sha256": None,
                    "pdf_bytes": None,
                    "from_cache": False,
                    "extract_seconds": None,
                }
            )
            s = _sentences(row["abstract"], 6)
            summaries.append(
                {
                    "arxiv_id": k["arxiv_id"],
                    "version": k["version"],
                    "status": "ok",
                    "error": None,
                    "retryable": False,
                    "basis": "fulltext" if ex else "abstract",
                    "dropped_sections": [],
                    "tldr": s[0],
                    "summary": s[1],
                    "motivation": s[2],
                    "contributions": s[3],
                    "method": s[4],
                    "experiments": s[5],
                    "keywords": k["matched_keywords"],
                    "language": "en",
                    "model": "synthetic",
                    "backend": "synthetic",
                    "prompt_version": "synthetic",
                    "text_hash": "synthetic",
                    "tokens_in": 0,
                    "tokens_out": 0,
                    "latency_seconds": 0.0,
                    "finish_reason": "stop",
                    "grounding_score": None,
                    "cached": False,
                    "attempts": 0,
                    "raw_output": None,
                    "analysed_at": now,
                }
            )
        warehouse.write_partition(
            day,
            {
                "raw_listings": pl.DataFrame(rows, schema=RAW_LISTINGS_SCHEMA).to_arrow(),
                "filtered_papers": pl.DataFrame([{**r, "reader": "default"} for r in kept],
                                                schema=FILTERED_SCHEMA).to_arrow(),
                "paper_fulltext": pl.DataFrame(fulltext, schema=FULLTEXT_SCHEMA).to_arrow(),
                "paper_summaries": pl.DataFrame(summaries, schema=SUMMARY_SCHEMA).to_arrow(),
            },
        )
    with duckdb.connect(str(database)) as conn:
        conn.execute("CHECKPOINT")  # the file size below is the stored size, not a write-ahead log
    return {
        "days": len(days),
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def _time(conn, statement: str, params: dict, repeat: int = 3) -> tuple[float, int]:
    conn.execute(statement, params).fetchall()  # warm-up
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = len(conn.execute(statement, params).fetchall())
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def history_year(days_count: int = DAYS) -> dict:
    import sql
    from orchestration.query import export_parquet

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "synthetic_year.duckdb"
        built = build_year(database, days_count)
        size_mb = database.stat().st_size / 2**20
        first, last = dt.date.fromisoformat(built["first_day"]), dt.date.fromisoformat(built["last_day"])
        month_end = first + dt.timedelta(days=30)
        queries = {
            "keyword_trend": {"keyword": "vision-language-action"},
            "top_authors": {"keyword": "testing", "limit": "20"},
            "code_released": {},
            "search": {"text": "metamorphic", "limit": "50"},
            "version_churn": {},
        }
        timings = {}
        with duckdb.connect(str(database), read_only=True) as conn:
            for name, given in queries.items():
                saved = sql.saved(name)
                statement = saved.statement
                year = saved.bind(
                    {
                        **given,
                        **(
                            {"start": str(first), "end": str(last)}
                            if any(p[0] == "start" for p in saved.params)
                            else {}
                        ),
                    }
                )
                seconds, rows = _time(conn, statement, sql.params_for(statement, year))
                timings[name] = {"year_seconds": round(seconds, 3), "rows": rows}
                if "start" in year:  # the same query over one month: how it scales with history
                    month = {**year, "end": month_end}
                    month_seconds, _ = _time(conn, statement, sql.params_for(statement, month))
                    timings[name]["month_seconds"] = round(month_seconds, 3)
                    timings[name]["year_over_month"] = round(seconds / month_seconds, 1)
            started = time.perf_counter()
            exported = export_parquet(conn, Path(tmp) / "export")
            export_seconds = time.perf_counter() - started
        export_mb = sum(p.stat().st_size for p in (Path(tmp) / "export").rglob("*.parquet")) / 2**20
        # The export reads back unchanged, by plain DuckDB over the files (what Spark/Trino would read).
        with duckdb.connect() as conn:
            back = conn.execute(
                "select count(*), count(distinct partition_date) from read_parquet($glob, hive_partitioning = true)",
                {"glob": str(Path(tmp) / "export" / "raw_listings" / "**" / "*.parquet")},
            ).fetchone()
    return {
        "benchmark": "history_year",
        "synthetic": True,
        **built,
        "database_mb": round(size_mb, 1),
        "queries": timings,
        "export_seconds": round(export_seconds, 1),
        "export_mb": round(export_mb, 1),
        "export_rows": exported,
        "export_read_back": {"raw_listings_rows": back[0], "partitions": back[1]},
        "target": "keyword_trend over the year <= 1 s; export of the year <= 30 s; database size per year reported",
        "note": "synthetic: real entries re-used under ids 99MM.NNNNN; analyses are abstract sentences, not model "
        "output; full texts are the 3 real PDFs' extractions repeated (compresses better than real text)",
    }


if __name__ == "__main__":
    import json
    import os

    print(json.dumps(history_year(int(os.environ.get("BENCH_DAYS", DAYS))), indent=2))
