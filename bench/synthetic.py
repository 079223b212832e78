"""SYNTHETIC history for the scale benchmarks only: the real recorded entries re-used under new ids
and dates. Never shown as recorded data, never written to the project's data directory.

How it is built: the replay corpus's 39 real entries (texts from the real recordings and the seed
report, `replay/README.md`) are cycled. Each copy gets
- a new id `99MM.NNNNN` (YYMM = 2099-MM: an id arXiv cannot have issued yet, so a synthetic row is
  recognisable in any table: `arxiv_id LIKE '99%'`),
- dates inside the announcement window of the day it is assigned to (calendar.py), so the replay
  server's listing queries put it on that day; every 8th copy is a v2 (a replacement) whose v1 is a
  week older,
- its real title, authors, abstract, categories and comment, unchanged.
Copies of the three papers with real PDFs are served those PDFs (`pdf_aliases`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from arxiv_domain.calendar import announcement_day
from replay.corpus import CorpusEntry, load_corpus, realdata_dir

SYNTHETIC_PREFIX = "99"


def announcing_days(first: dt.date, count: int) -> list[dt.date]:
    """The first `count` days from `first` on which arXiv announces (weekends and holidays skipped)."""
    days, day = [], first
    while len(days) < count:
        if announcement_day(day).announces:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def synthetic_corpus(days: list[dt.date], per_day: int, realdata: Path | None = None
                     ) -> tuple[list[CorpusEntry], dict[str, str]]:
    """(entries, pdf_aliases {synthetic 'idvN': real PDF name}) with `per_day` entries per day."""
    realdata = realdata_dir(realdata)
    base = load_corpus(realdata)
    pdfs = sorted(p.name for p in (realdata / "pdf").glob("*.pdf"))
    # The real PDF (if any) of each base entry, found once.
    base_pdf = [next((n for n in pdfs if n.startswith(f"{e.arxiv_id}v{e.version}")), None) for e in base]
    entries, aliases, serial = [], {}, {}
    for day in days:
        window = announcement_day(day)
        span = (window.window_end - window.window_start) / per_day
        for i in range(per_day):
            which = (i + day.toordinal()) % len(base)
            source = base[which]
            month = day.month
            serial[month] = serial.get(month, 0) + 1
            arxiv_id = f"{SYNTHETIC_PREFIX}{month:02d}.{serial[month]:05d}"
            at = window.window_start + span * i
            version = 2 if i % 8 == 7 else 1
            published = at - dt.timedelta(days=7) if version == 2 else at
            entries.append(replace(source, arxiv_id=arxiv_id, version=version, published=published, updated=at))
            if base_pdf[which]:
                aliases[f"{arxiv_id}v{version}"] = base_pdf[which]
    return entries, aliases

