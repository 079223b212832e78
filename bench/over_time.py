"""`venues` and `main_figures`: what the over-time features read from the real recordings.

venues: arxiv_domain/venue.py over the comment and journal-ref of every recorded API entry that has
either (../shared/realdata/api), against a person's reading of each (bench/venue_labels.json: the
output judged and whether it was right). Found, right, wrong, missed; an output that differs from the
one judged is counted as unjudged (read it again).

main_figures: pdf_reading/figures.py over the 12 real PDFs (../shared/realdata/pdf), best of 3 per PDF after
a warm-up, against a person's look at each rendered PNG (bench/figure_labels.json).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _recorded_entries() -> dict[str, tuple[str | None, str | None]]:
    import feedparser

    from replay.corpus import realdata_dir

    entries = {}
    for path in sorted((realdata_dir() / "api").rglob("*.xml")):
        for e in feedparser.parse(path.read_bytes()).entries:
            if "/abs/" in e.get("id", ""):
                entries[e.id.rsplit("/abs/", 1)[1]] = (e.get("arxiv_comment"), e.get("arxiv_journal_ref"))
    return entries


def venues() -> dict:
    from arxiv_domain.venue import parse_venue

    labels = json.loads((HERE / "venue_labels.json").read_text(encoding="utf-8"))["labels"]
    entries = _recorded_entries()
    with_text = {i: v for i, v in entries.items() if v[0] or v[1]}
    counts = {"right": 0, "wrong": 0, "missed": 0, "unjudged": 0}
    found, wrong, statuses = 0, [], {}
    for arxiv_id, (comment, journal_ref) in sorted(with_text.items()):
        venue = parse_venue(comment, journal_ref)
        output = venue.label if venue else None
        found += venue is not None
        if venue:
            statuses[venue.status] = statuses.get(venue.status, 0) + 1
        label = labels.get(arxiv_id)
        if label is None or label["judged_output"] != output:
            counts["unjudged"] += 1
        elif label["right"]:
            counts["right"] += 1
        else:
            counts["missed" if output is None else "wrong"] += 1
            wrong.append({"arxiv_id": arxiv_id, "ours": output, "by_reading": label.get("by_reading")})
    return {"benchmark": "venues", "entries": len(entries), "with_comment_or_journal_ref": len(with_text),
            "venues_found": found, "by_status": statuses, **counts,
            "right_share": round(counts["right"] / len(with_text), 3), "not_right": wrong,
            "target": "every output judged; wrong + missed named"}


def main_figures() -> dict:
    from pdf_reading.figures import main_figure_of_file
    from replay.corpus import realdata_dir

    labels = json.loads((HERE / "figure_labels.json").read_text(encoding="utf-8"))["labels"]
    rows = []
    for pdf in sorted((realdata_dir() / "pdf").glob("*.pdf")):
        main_figure_of_file(str(pdf))  # warm-up
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            figure = main_figure_of_file(str(pdf))
            timings.append(time.perf_counter() - started)
        label = labels.get(pdf.name, {})
        rows.append({"pdf": pdf.name, "found": figure is not None, "found_by": figure and figure.found_by,
                     "page": figure and figure.page, "png_bytes": figure and len(figure.png),
                     "seconds": round(min(timings), 4), "has_figure_1": label.get("has_figure_1"),
                     "right": label.get("right") if label else None})
    seconds = [r["seconds"] for r in rows]
    return {"benchmark": "main_figures", "pdfs": len(rows), "found": sum(r["found"] for r in rows),
            "with_figure_1": sum(bool(r["has_figure_1"]) for r in rows),
            "right": sum(bool(r["right"]) for r in rows), "median_seconds": round(statistics.median(seconds), 4),
            "max_seconds": max(seconds), "results": rows,
            "target": "a figure for every paper with a Figure 1, nothing for the others, each right by looking"}


def trends_year() -> dict:
    """The weekly stage over a **synthetic** year (bench/history.py's: 250 announcement days x 1,500
    listings, real texts under ids 99MM.NNNNN): every week's weekly_digest materialised through Dagster
    (the digest, its page and chart, weeks.html, trends.html, the feed), then the trends page alone over
    the whole year against the same over its first four weeks."""
    import os
    import tempfile

    import dagster as dg

    from assets.weekly import WHOLE_HISTORY
    from bench.history import build_year
    from orchestration.definitions import build_pipeline
    from publishing.weekly import render_trends
    from resources.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        built = build_year(home / "arxiv.duckdb")
        env = {**os.environ, "ARXIV_MONITOR_HOME": str(home), "ARXIV_MONITOR_START_DATE": built["first_day"]}
        pipeline = build_pipeline(load_settings(env))
        weeks = [k for k in pipeline.weeks.get_partition_keys() if k <= built["last_day"]]
        digest = pipeline.asset("weekly_digest")
        seconds = []
        for week in weeks:
            started = time.perf_counter()
            result = dg.materialize([digest], partition_key=week, resources=pipeline.resources, raise_on_error=False)
            seconds.append(time.perf_counter() - started)
            if not result.success:
                raise RuntimeError(f"weekly_digest failed for {week}")
        warehouse, language = pipeline.resources["warehouse"], pipeline.resources["reader"].language
        stored_weeks = warehouse.query_rows("site_weeks")
        year = []
        for _ in range(3):
            started = time.perf_counter()
            size = render_trends(home / "site", warehouse.query_rows("weekly_trends", **WHOLE_HISTORY, reader="*"),
                                 warehouse.query_rows("rising_topics", **WHOLE_HISTORY), language, stored_weeks)
            year.append(time.perf_counter() - started)
        topics = warehouse.query_rows("rising_topics", start=dt.date(2000, 1, 1), end=dt.date(2999, 12, 31))
    return {"benchmark": "trends_year", "synthetic": True, "days": built["days"], "weeks": len(weeks),
            "build_seconds": built.get("build_seconds"), "weekly_digest_median_seconds":
                round(statistics.median(seconds), 3), "weekly_digest_max_seconds": round(max(seconds), 3),
            "all_weeks_seconds": round(sum(seconds), 1), "trends_page_seconds_year": round(min(year), 3),
            "trends_page_bytes": size, "rising_topics_stored": len(topics),
            "target": "the trends page of a year renders in seconds; a week's digest in seconds"}
