"""The lab's pages of a site shared by several readers: the index (the readers, the days) and a page per day listing
every paper any reader kept, with who kept it (each name links to that reader's report of the day). Each reader's
own pages live in their folder (readers/NAME/), rendered like a single reader's site (publishing/site.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from publishing.report import write_atomically
from publishing.site import atom_feed, has_weekly_pages, paper_anchor, templates
from publishing.wording import LABELS


def lab_context(day: dt.date, rows: list[dict], readers: list[dict]) -> dict:
    """The day's page: `rows` (lab_papers.sql) with their readers (`readers`: name, display_name, folder)."""
    by_name = {r["name"]: r for r in readers}
    papers = [{**row, "anchor": paper_anchor(row["arxiv_id"]),
               "kept_by": [by_name[name] for name in row["readers"] if name in by_name]} for row in rows]
    return {"day": day.isoformat(), "papers": papers, "readers": readers}


def render_lab(site: Path, context: dict, language: str, days: list[dict], base_url: str,
               now: dt.datetime) -> dict[str, int]:
    """The lab's day page, its index, the page of reading lists and the feed of the lab's days."""
    t, weekly = LABELS[language], has_weekly_pages(site)
    readers = context["readers"]
    days = [{**d, "day": d["partition_date"].isoformat()} for d in days]
    page = templates().get_template
    files = {
        f"lab/{context['day']}.html": page("lab_day.html.j2").render(
            t=t, root="../", title=f"{t['lab_day']} {context['day']}", weekly=weekly, **context),
        "saved.html": page("lab_saved.html.j2").render(t=t, root="", title=t["reading_lists"], weekly=weekly,
                                                       readers=readers),
        "feed.xml": atom_feed(days, {}, base_url, now, pages="lab"),
        "index.html": page("lab_index.html.j2").render(t=t, root="", title="arxiv-monitor", weekly=weekly,
                                                       readers=readers, days=days),
    }
    for name, text in files.items():
        write_atomically(site / name, text)
    return {name: len(text.encode("utf-8")) for name, text in files.items()}
