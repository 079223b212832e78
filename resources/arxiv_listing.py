"""An announcement day's listing from the arXiv API: the calendar decides whether and when there is one,
the client fetches its window; the rows and the day's row as the warehouse stores them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import polars as pl

from arxiv_domain.announce import ANNOUNCE_TYPES, classify
from arxiv_domain.calendar import AnnouncementDay, announcement_day
from pdf_reading.extraction import readable
from resources.arxiv_api import ArxivClient, fetch_window

RAW_LISTINGS_SCHEMA = {
    "arxiv_id": pl.Utf8, "version": pl.Int32, "announce_type": pl.Utf8, "title": pl.Utf8,
    "authors": pl.List(pl.Utf8), "abstract": pl.Utf8, "primary_category": pl.Utf8, "categories": pl.List(pl.Utf8),
    "published": pl.Datetime("us", "UTC"), "updated": pl.Datetime("us", "UTC"), "comment": pl.Utf8,
    "journal_ref": pl.Utf8, "doi": pl.Utf8, "abs_url": pl.Utf8, "pdf_url": pl.Utf8,
    "fetched_at": pl.Datetime("us", "UTC"),
}


LISTING_DAYS_SCHEMA = {
    "announces": pl.Boolean, "reason": pl.Utf8, "window_start": pl.Datetime("us", "UTC"),
    "window_end": pl.Datetime("us", "UTC"), "announced_at": pl.Datetime("us", "UTC"),
    "fetched_at": pl.Datetime("us", "UTC"), "requests": pl.Int32, "cache_hits": pl.Int32,
    "new_total_reported": pl.Int32, "rows_new": pl.Int32, "rows_cross": pl.Int32, "rows_replace": pl.Int32,
    "rows_replace_cross": pl.Int32, "complete": pl.Boolean, "note": pl.Utf8,
}


class FuturePartition(ValueError):
    pass


@dataclass
class DayListing:
    calendar: AnnouncementDay
    rows: list[dict]
    fetched_at: dt.datetime
    requests: int
    cache_hits: int
    new_total_reported: int
    complete: bool
    note: str | None

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(r["announce_type"] for r in self.rows)
        return {t: found.get(t, 0) for t in ANNOUNCE_TYPES}

    def tables(self):
        listings = pl.DataFrame(self.rows, schema=RAW_LISTINGS_SCHEMA)
        c = self.counts
        day = pl.DataFrame([{
            "announces": self.calendar.announces, "reason": self.calendar.reason,
            "window_start": self.calendar.window_start, "window_end": self.calendar.window_end,
            "announced_at": self.calendar.announced_at, "fetched_at": self.fetched_at,
            "requests": self.requests, "cache_hits": self.cache_hits, "new_total_reported": self.new_total_reported,
            "rows_new": c["new"], "rows_cross": c["cross"], "rows_replace": c["replace"],
            "rows_replace_cross": c["replace-cross"], "complete": self.complete, "note": self.note,
        }], schema=LISTING_DAYS_SCHEMA)
        return {"raw_listings": listings.to_arrow(), "listing_days": day.to_arrow()}


def fetch_day_listing(day: dt.date, categories: list[str], client: ArxivClient, *, holidays=frozenset(),
                      now: dt.datetime | None = None, index_grace_hours: float = 4.0, refresh: bool = False,
                      max_replacement_pages: int = 20) -> DayListing:
    """The listing of announcement day `day`: no request at all on weekends/holidays; an error
    before any request for a day not yet announced."""
    now = now or dt.datetime.now(dt.UTC)
    calendar = announcement_day(day, holidays)
    if not calendar.announces:
        return DayListing(calendar, [], now, 0, 0, 0, True, f"arXiv does not announce on this day ({calendar.reason})")
    if now < calendar.announced_at:
        raise FuturePartition(f"partition {day} is in the future: arXiv announces it at "
                              f"{calendar.announced_at.isoformat()} (20:00 America/New_York the evening before)")
    namespace = day.isoformat()
    hours_after = (now - calendar.announced_at).total_seconds() / 3600
    early = hours_after < index_grace_hours
    client.store_responses = not early
    window = fetch_window(client, categories, calendar.window_start, calendar.window_end, namespace=namespace,
                          refresh=refresh, max_replacement_pages=max_replacement_pages)
    monitored = set(categories)
    rows = [{**r, "announce_type": classify(r, monitored, True), "fetched_at": now} for r in window.new_rows]
    rows += [{**r, "announce_type": classify(r, monitored, False), "fetched_at": now} for r in window.replacement_rows]
    rows = [{**r, "title": readable(r["title"]), "abstract": readable(r["abstract"])} for r in rows]

    notes = []
    if early:
        notes.append(f"fetched {hours_after:.1f} h after the announcement (less than {index_grace_hours:g} h): "
                     "the API index can lag the announcement; materialise again later with refresh")
    if window.new_total_reported == 0:
        notes.append("the API reported no new submissions for an announcement day: its index may lag; "
                     "materialise again later with refresh")
    if not window.replacement_walk_complete:
        notes.append(f"replacement walk stopped after {max_replacement_pages} pages before reaching the window")
    complete = not notes
    if client.rejected:  # the day is still complete: these entries can never be stored
        notes.append(f"skipped {len(client.rejected)} feed entries whose id is not an arXiv id: "
                     + "; ".join(client.rejected[:5]))
    return DayListing(calendar, rows, now, window.stats.requests, window.stats.cache_hits,
                      window.new_total_reported, complete, "; ".join(notes) or None)


def listing_preview(rows: list[dict], limit: int = 20) -> str:
    lines = ["| arXiv id | v | type | primary | title |", "|---|---|---|---|---|"]
    for r in rows[:limit]:
        title = r["title"].replace("|", "\\|")[:90]
        lines.append(f"| {r['arxiv_id']} | {r['version']} | {r['announce_type']} | {r['primary_category']} | {title} |")
    if len(rows) > limit:
        lines.append(f"| … | | | | {len(rows) - limit} more |")
    return "\n".join(lines)
