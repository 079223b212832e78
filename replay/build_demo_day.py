"""Rebuild `demo_days.json`, the corpus the replay server answers listing queries from.

Run from the repository root: `python -m replay.build_demo_day`. Inputs, all real and
all read from ../shared (see replay/README.md for what is verbatim and what assigned):
  * the 6 papers of ../shared/reference/seed-report-2025-12-26.md (id, version, title, authors,
    categories in the report's order, announce type, abstract) -> stored here in full;
  * the recorded API response q_testing_s0_m100 (real entries; those with a monitored category)
    -> stored as references (file + id): the replay server reads their text at run time;
  * three real PDFs of ../shared/realdata/pdf -> title, authors and abstract transcribed from
    their first page by `pymupdf` (hyphenated line breaks joined).
Dates are the one thing assigned: the seed report has no submission times and the recorded
entries are from other years, so each entry is placed inside an announcement window.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import feedparser

from arxiv_domain.calendar import announcement_day
from arxiv_domain.ids import split_versioned_id

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
SEED = SHARED / "reference" / "seed-report-2025-12-26.md"
RECORDING = "api/arxivpy_2026/q_testing_s0_m100_cfe7536492ca.xml"
MONITORED = {"cs.AI", "cs.LG", "cs.RO", "cs.CV"}
DEMO_DAY = dt.date(2025, 12, 25)
OTHER_DAYS = [dt.date(2025, 12, 22), dt.date(2025, 12, 23), dt.date(2025, 12, 24), dt.date(2025, 12, 26)]

# (file, id, version, categories primary first, first line of title, authors, abstract start, abstract end)
PDFS = [
    (
        "1706.03762v7.pdf",
        "1706.03762",
        7,
        ["cs.CL", "cs.LG"],
        "Attention Is All You Need",
        [
            "Ashish Vaswani",
            "Noam Shazeer",
            "Niki Parmar",
            "Jakob Uszkoreit",
            "Llion Jones",
            "Aidan N. Gomez",
            "Łukasz Kaiser",
            "Illia Polosukhin",
        ],
        "The dominant sequence",
        "large and limited training data.",
    ),
    (
        "1505.04597v1_Unet.pdf",
        "1505.04597",
        1,
        ["cs.CV"],
        "U-Net: Convolutional Networks for Biomedical Image Segmentation",
        ["Olaf Ronneberger", "Philipp Fischer", "Thomas Brox"],
        "There is large consent",
        "people/ronneber/u-net.",
    ),
    (
        "1602.02830v3_Binarized.pdf",
        "1602.02830",
        3,
        ["cs.LG"],
        "Binarized Neural Networks: Training Neural Networks with Weights and Activations Constrained to +1 or −1",
        ["Matthieu Courbariaux", "Itay Hubara", "Daniel Soudry", "Ran El-Yaniv", "Yoshua Bengio"],
        "We introduce a method",
        "is available on-line.",
    ),
]


def seed_papers() -> list[dict]:
    text = SEED.read_text(encoding="utf-8")
    papers = []
    for block in re.split(r"\n## \d+\. ", text)[1:]:
        title = block.split("\n", 1)[0].strip()
        authors = re.search(r"\*\*作者\*\*: (.+)", block)[1].split(", ")
        ident = re.search(r"oai:arXiv\.org:([^\]]+)\]", block)[1]
        arxiv_id, version = ident.rsplit("v", 1)
        categories = [c.strip() for c in re.search(r"\*\*分类\*\*: (.+)", block)[1].split(",")]
        announce = re.search(r"Announce Type: (\S+)\s+Abstract: (.+)", block)
        papers.append(
            {
                "source": "seed-report",
                "id": arxiv_id,
                "version": int(version),
                "title": title,
                "authors": authors,
                "categories": categories,
                "seed_announce_type": announce[1],
                "abstract": announce[2].strip(),
            }
        )
    return papers


def pdf_papers() -> list[dict]:
    import pymupdf

    papers = []
    for file, arxiv_id, version, categories, title, authors, begin, end in PDFS:
        page = pymupdf.open(SHARED / "realdata" / "pdf" / file)[0].get_text()
        body = page[page.index(begin) : page.index(end) + len(end)]
        abstract = re.sub(r"\s+", " ", re.sub(r"-\n(?=[a-z])", "", body))
        papers.append(
            {
                "source": f"pdf/{file}",
                "id": arxiv_id,
                "version": version,
                "title": title,
                "authors": authors,
                "categories": categories,
                "abstract": abstract,
            }
        )
    return papers


def recorded_refs() -> list[dict]:
    feed = feedparser.parse((SHARED / "realdata" / RECORDING).read_bytes())
    refs = []
    for entry in feed.entries:
        if MONITORED & {t["term"] for t in entry.tags}:
            arxiv_id, version = split_versioned_id(entry.id)
            refs.append(
                {"source": RECORDING, "id": arxiv_id, "version": version, "recorded_published": entry.published}
            )
    return refs


def place(entries: list[dict], day: dt.date) -> None:
    """Spread entries over the window; replacements keep a published date before it."""
    window = announcement_day(day)
    span = (window.window_end - window.window_start) / (len(entries) + 1)
    for i, entry in enumerate(entries, start=1):
        stamp = (window.window_start + span * i).replace(microsecond=0)
        is_replacement = entry["version"] > 1 and entry.get("seed_announce_type", "replace").startswith("replace")
        if is_replacement:
            original = entry.pop("recorded_published", None)
            # The seed report gives no original submission date: the id's yymm gives the month.
            entry["published"] = original or _month_of(entry["id"])
        else:
            entry.pop("recorded_published", None)
            entry["published"] = stamp.isoformat().replace("+00:00", "Z")
        entry["updated"] = stamp.isoformat().replace("+00:00", "Z")
        entry["announcement_day"] = day.isoformat()


def _month_of(arxiv_id: str) -> str:
    yymm = arxiv_id.split(".")[0]
    return f"20{yymm[:2]}-{yymm[2:]}-01T12:00:00Z"


def build() -> dict:
    demo = seed_papers() + pdf_papers()
    refs = recorded_refs()
    demo_refs, other_refs = refs[:10], refs[10:]
    place(demo + demo_refs, DEMO_DAY)
    for i, day in enumerate(OTHER_DAYS):
        place(other_refs[i :: len(OTHER_DAYS)], day)
    return {"demo_day": DEMO_DAY.isoformat(), "entries": demo + demo_refs + other_refs}


if __name__ == "__main__":
    out = HERE / "demo_days.json"
    out.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
