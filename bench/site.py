"""`site_render`: what report_site does for one day (the day's page, the index, the search index and
the feed over the whole history) when the history is a year, against the same when it is one day;
and the search index's size per 1,000 papers.

The year is **synthetic** (bench/synthetic.py: real recorded titles, authors and abstracts re-used
under ids 99MM.NNNNN), 250 announcement days x 77 reported papers (the backfill benchmark's kept
rate); each paper gets an "analysis" made of its abstract's sentences, as in `history_year`. The
rows go through the report's own `report_context`, so the pages are those the asset writes.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

DAYS = 250
PAPERS_PER_DAY = 77


def _rows(entries) -> list[dict]:
    from bench.history import _sentences

    rows = []
    for e in entries:
        s = _sentences(e.abstract, 6)
        rows.append({"arxiv_id": e.arxiv_id, "version": e.version, "announce_type": "new", "is_update": False,
                     "matched_keywords": ["spatio-temporal prediction"], "matched_authors": [],
                     "semantic_score": 0.45, "closest_interest": "Spatio-temporal forecasting", "title": e.title,
                     "authors": e.authors, "abstract": e.abstract, "primary_category": e.categories[0],
                     "categories": e.categories, "links": [], "evidence": [], "status": "ok", "basis": "abstract",
                     "fulltext_status": None, "tldr": s[0], "summary": s[1], "motivation": s[2],
                     "contributions": s[3], "method": s[4], "experiments": s[5], "keywords": ["forecasting"],
                     "model": "synthetic", "prompt_version": "synthetic", "tokens_in": 0, "tokens_out": 0,
                     "latency_seconds": 0.0, "cached": False, "grounding_score": None, "citation_share": None,
                     "quality": None})
    return rows


def site_render() -> dict:
    from bench.synthetic import announcing_days, synthetic_corpus
    from publishing.report import report_context
    from publishing.site import render_site
    from resources.configured import build_resources
    from resources.settings import load_settings

    monitor = build_resources(load_settings())["reader"].monitored()
    days = announcing_days(dt.date(2026, 1, 5), DAYS)
    corpus, _ = synthetic_corpus(days[:1], PAPERS_PER_DAY * 4)  # reused for every day: ids made unique below
    rows = _rows(corpus[:PAPERS_PER_DAY])
    now = dt.datetime.now(dt.UTC)
    listing_day = {"rows_new": 2000, "rows_cross": 0, "rows_replace": 0, "rows_replace_cross": 0, "note": None}
    index_days, search_rows = [], []
    for n, day in enumerate(days):
        index_days.append({"day": day.isoformat(), "partition_date": day, "language": "zh",
                           "papers": PAPERS_PER_DAY, "failed": 0, "kept": PAPERS_PER_DAY, "announces": True,
                           "reason": "announcement", "generated_at": now})
        for r in rows:
            search_rows.append({"partition_date": day, "arxiv_id": f"{r['arxiv_id']}-{n}", "title": r["title"],
                                "authors": r["authors"], "matched_keywords": r["matched_keywords"],
                                "keywords": r["keywords"], "tldr": r["tldr"]})
    index_days.reverse()
    last = days[-1]
    timings, sizes = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, history, searched in (("one_day", index_days[:1], search_rows[-PAPERS_PER_DAY:]),
                                         ("year", index_days, search_rows)):
            def once(label=label, history=history, searched=searched):
                context = report_context(last, monitor, listing_day, [dict(r) for r in rows], now)
                return render_site(Path(tmp) / label, context, "zh", [dict(d) for d in history], searched, "", now)

            sizes[label] = once()  # warm-up
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                once()
                runs.append(time.perf_counter() - started)
            timings[label] = round(statistics.median(runs), 3)
    year_index = sizes["year"]["search-index.js"]
    return {
        "benchmark": "site_render", "days": DAYS, "papers_per_day": PAPERS_PER_DAY,
        "one_day_seconds": timings["one_day"], "year_seconds": timings["year"],
        "year_over_one_day": round(timings["year"] / timings["one_day"], 2),
        "bytes": {label: s for label, s in sizes.items()},
        "search_index_bytes_per_1000_papers": round(year_index / (len(search_rows) / 1000)),
        "search_index_papers": len(search_rows),
        "data": "synthetic: real recorded titles/authors/abstracts re-used; analyses are abstract sentences",
        "target": "(a report) one day's render with a year of history; search index bytes per 1,000 papers",
    }
