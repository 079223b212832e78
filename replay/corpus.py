"""The demo corpus the replay server answers listing queries from, and where the real recordings are.

`demo_days.json` names real recorded entries (read from ../shared/realdata at run time) and the seed
report's papers; see README.md in this folder for what is verbatim and what assigned.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import feedparser

HERE = Path(__file__).resolve().parent
DEFAULT_REALDATA = HERE.parent.parent / "shared" / "realdata"
CORPUS_FILE = HERE / "demo_days.json"


class RealdataMissing(FileNotFoundError):
    pass


def realdata_dir(path: str | Path | None = None) -> Path:
    root = Path(path or os.environ.get("ARXIV_MONITOR_REALDATA") or DEFAULT_REALDATA).resolve()
    if not (root / "api").is_dir() or not (root / "pdf").is_dir():
        raise RealdataMissing(
            f"real arXiv recordings not found at {root} (expected api/ and pdf/ in it): the replay server reads "
            "them from ../shared/realdata beside the checkout; set ARXIV_MONITOR_REALDATA to their folder")
    return root



@dataclass
class CorpusEntry:
    arxiv_id: str
    version: int
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    published: dt.datetime
    updated: dt.datetime
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None


def parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def load_corpus(realdata: Path, corpus_file: Path = CORPUS_FILE) -> list[CorpusEntry]:
    spec = json.loads(corpus_file.read_text(encoding="utf-8"))
    recordings: dict[str, dict] = {}
    entries = []
    for item in spec["entries"]:
        if item["source"].startswith("api/"):
            if item["source"] not in recordings:
                feed = feedparser.parse((realdata / item["source"]).read_bytes())
                recordings[item["source"]] = {e.id.rsplit("/abs/", 1)[1]: e for e in feed.entries}
            rec = recordings[item["source"]][f"{item['id']}v{item['version']}"]
            primary = rec.arxiv_primary_category["term"]
            cats = [primary] + [t.term for t in rec.tags if t.term != primary]
            entries.append(
                CorpusEntry(
                    item["id"],
                    item["version"],
                    rec.title,
                    [a.name for a in rec.authors],
                    rec.summary,
                    cats,
                    parse_timestamp(item["published"]),
                    parse_timestamp(item["updated"]),
                    rec.get("arxiv_comment"),
                    rec.get("arxiv_journal_ref"),
                    rec.get("arxiv_doi"),
                )
            )
        else:
            entries.append(
                CorpusEntry(
                    item["id"],
                    item["version"],
                    item["title"],
                    item["authors"],
                    item["abstract"],
                    item["categories"],
                    parse_timestamp(item["published"]),
                    parse_timestamp(item["updated"]),
                    item.get("comment"),
                )
            )
    return entries
