"""`weekly_digest` and `weekly_delivery`: a week (Monday to Sunday, America/New_York) built from its
daily partitions.

The digest holds the week's most relevant papers by the daily ranking (each paper once, at its best
score), counts per keyword, interest and category, and the rising topics: terms of the week's
first-version listings whose share grew against the four weeks before,

    growth = (share this week + 1/N) / (mean share over the previous four weeks + 1/N)

(N the week's listings: a term unseen before needs a few papers to rise), kept when it is in at least
`MIN_TOPIC_PAPERS` listings and has grown `MIN_GROWTH` times. The site gets a page per week with a
chart, a trends page over the whole history and an entry per week in the feed; the channels get the
digest once per content, exactly as the daily one (publishing/digests.py).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from publishing.charts import weekly_lines
from publishing.report import why_kept, why_short, write_atomically
from publishing.site import paper_anchor, render_page
from publishing.wording import WEEKLY
from ranking.keywords import report_order

PREVIOUS_WEEKS = 4


MIN_TOPIC_PAPERS = 3


MIN_GROWTH = 2.0


TOPICS = 10


TREND_SERIES = 6  # lines per chart on the trends page


# Words that say nothing about a topic (function words and the filler of every abstract).
_STOP_TEXT = """
about above after again against also although among another based because been before being below
between both but can could does doing done during each either even every first from further given
have having here however into itself just more most much must neither next only other over paper
papers present presents propose proposed proposes provide provides same several should show shows
since some such than that their them then there these they this those through thus under until upon
using very well were what when where whether which while will with within without would your our
approach approaches method methods result results work works study studies novel new existing
across achieve achieves further significantly significant demonstrate demonstrates experiments
"""


STOP_WORDS = sorted(set(_STOP_TEXT.split()))


def week_window(partition_key: str) -> tuple[dt.date, dt.date]:
    """[Monday, next Monday) of a weekly partition key."""
    start = dt.date.fromisoformat(partition_key)
    return start, start + dt.timedelta(days=7)


def rising_topics(terms: list[dict], week: dt.date) -> list[dict]:
    """The week's rising terms from `week_terms` rows ({week, term, papers, listings}) of the week and the
    PREVIOUS_WEEKS before it; [] when no earlier week has listings to compare with."""
    if not terms:
        return []
    frame = pl.DataFrame(terms)
    now = frame.filter(pl.col("week") == week)
    before = frame.filter(pl.col("week") < week)
    if now.is_empty() or before.is_empty():
        return []
    listings = int(now["listings"][0])
    earlier_weeks = before.select(pl.col("week").n_unique()).item()
    previous = (before.with_columns(share=pl.col("papers") / pl.col("listings"))
                .group_by("term").agg(previous_share=pl.col("share").sum() / earlier_weeks))
    floor = 1.0 / listings
    rising = (now.with_columns(share=pl.col("papers") / pl.col("listings"))
              .join(previous, on="term", how="left").with_columns(pl.col("previous_share").fill_null(0.0))
              .with_columns(growth=(pl.col("share") + floor) / (pl.col("previous_share") + floor))
              .filter((pl.col("papers") >= MIN_TOPIC_PAPERS) & (pl.col("growth") >= MIN_GROWTH))
              .sort(["growth", "papers", "term"], descending=[True, True, False]).head(TOPICS))
    return [{"term": r["term"], "papers": r["papers"], "share": round(r["share"], 5),
             "previous_share": round(r["previous_share"], 5), "growth": round(r["growth"], 3)}
            for r in rising.iter_rows(named=True)]


def week_papers(rows: list[dict], limit: int, language: str, updates_last: bool = True) -> list[dict]:
    """The digest's papers (week_papers rows) in the daily report's order (`report_order`), the first
    `limit`, with why each is there."""
    rows = sorted(rows, key=lambda r: report_order(r, updates_last))
    papers = []
    for rank, r in enumerate(rows[:limit], start=1):
        papers.append({
            "rank": rank, "arxiv_id": r["arxiv_id"], "version": r["version"], "announced_on": r["announced_on"],
            "title": " ".join(r["title"].split()), "combined_score": r["combined_score"], "tldr": r["tldr"],
            "why": why_kept(r, language),
            "why_short": why_short(r, language),
        })
    return papers


def trend_series(rows: list[dict], kind: str, limit: int = TREND_SERIES) -> dict[str, dict[dt.date, int]]:
    """{name: {week: papers}} of one kind of `weekly_trends` rows, the `limit` largest names overall."""
    totals: dict[str, int] = {}
    series: dict[str, dict[dt.date, int]] = {}
    for r in rows:
        if r["kind"] != kind or r["name"] is None:
            continue
        totals[r["name"]] = totals.get(r["name"], 0) + r["papers"]
        series.setdefault(r["name"], {})[r["week"]] = r["papers"]
    top = sorted(totals, key=lambda n: (-totals[n], n))[:limit]
    return {name: series[name] for name in top}


def weekly_digest_message(week: dt.date, papers: list[dict], kept: int, language: str, base_url: str) -> dict:
    """What every channel says about the week, in the daily digest's shape (publishing/digests.py)."""
    w = WEEKLY[language]
    site = base_url.rstrip("/") + f"/weeks/{week.isoformat()}.html" if base_url else ""
    items = [{"arxiv_id": p["arxiv_id"], "title": p["title"], "why": p["why_short"], "tldr": p["tldr"] or "",
              "analysed": bool(p["tldr"]),
              "url": f"{site}#{paper_anchor(p['arxiv_id'])}" if site else f"https://arxiv.org/abs/{p['arxiv_id']}"}
             for p in papers]
    return {"language": language, "day": week.isoformat(),
            "subject": w["subject"].format(week=week.isoformat(), kept=kept, shown=len(items)),
            "announces": True, "kept": len(items), "analysed": sum(i["analysed"] for i in items), "failed": 0,
            "papers": items, "site_url": site}


def render_week(site, week: dt.date, context: dict) -> None:
    """The week's page from its context (`week_context`), in its language."""
    write_atomically(site / "weeks" / f"{week.isoformat()}.html",
                     render_page("week.html.j2", context["language"], root="../", title=context["title"], c=context))


def render_trends(site, rows: list[dict], topics: list[dict], language: str, weeks: list[dict]) -> int:
    """trends.html over the whole history (`rows`: weekly_trends, `topics`: rising_topics): a chart per kind
    (keywords, interests, categories) and the rising topics of the latest weeks. Returns its size in bytes."""
    t = WEEKLY[language]
    all_weeks = sorted({r["week"] for r in rows})
    charts = []
    for kind in ("keyword", "interest", "category"):
        series = trend_series(rows, kind)
        if series and all_weeks:
            charts.append({"title": t[f"chart_{kind}"], "svg": weekly_lines(series, all_weeks)})
    page = render_page("trends.html.j2", language, root="", title=t["trends"], charts=charts,
                       weeks=weeks[:12], topics=[r for r in topics if r["week"] in {w["partition_date"]
                                                                                   for w in weeks[:4]}])
    write_atomically(site / "trends.html", page)
    return len(page.encode("utf-8"))


def week_context(start: dt.date, papers: list[dict], counts: list[dict], topics: list[dict], days: list[str],
                 kept: int, listings: int, history: list[dict], language: str) -> dict:
    """What the week's page shows: `counts` and `history` are weekly_trends rows of the week and of the
    weeks up to it (the chart)."""
    w = WEEKLY[language]
    shown_weeks = sorted({r["week"] for r in history})
    series = trend_series(history, "keyword", 4) or trend_series(history, "interest", 4)
    return {
        "language": language,
        "title": w["title"].format(week=start.isoformat(), end=(start + dt.timedelta(days=6)).isoformat()),
        "week": start.isoformat(), "papers": [{**p, "anchor": paper_anchor(p["arxiv_id"])} for p in papers],
        "counts": {kind: [r for r in counts if r["kind"] == kind] for kind in ("keyword", "interest", "category")},
        "topics": topics, "days": days, "kept": kept, "listings": listings,
        "chart": weekly_lines(series, shown_weeks, w["chart_week"]) if series and shown_weeks else None,
    }


WEEKLY_PAPERS_SCHEMA = {"rank": pl.Int32, "arxiv_id": pl.Utf8, "version": pl.Int32, "announced_on": pl.Date,
                        "title": pl.Utf8, "combined_score": pl.Float64, "why": pl.Utf8, "tldr": pl.Utf8}
WEEKLY_TOPICS_SCHEMA = {"term": pl.Utf8, "papers": pl.Int32, "share": pl.Float64, "previous_share": pl.Float64,
                        "growth": pl.Float64}
