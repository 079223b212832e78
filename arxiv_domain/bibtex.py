"""Papers from a BibTeX file (a Zotero or Mendeley export): their titles and abstracts become
interest examples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bibtexparser


class BibtexError(ValueError):
    """The file cannot be read or holds no usable entry; the message names the file."""


@dataclass(frozen=True)
class BibEntry:
    key: str
    title: str
    abstract: str


def _plain(text: str) -> str:
    """BibTeX braces and line wraps out: '{Vision-Language-Action} models' -> 'Vision-Language-Action models'."""
    return " ".join(text.replace("{", "").replace("}", "").split())


def read_bibtex(path: Path) -> list[BibEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BibtexError(f"cannot read BibTeX file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        database = bibtexparser.loads(text)
    except Exception as exc:  # the parser raises assorted pyparsing errors
        raise BibtexError(f"{path} is not BibTeX: {exc}") from None
    entries = [BibEntry(e.get("ID", ""), _plain(e["title"]), _plain(e.get("abstract", "")))
               for e in database.entries if _plain(e.get("title", ""))]
    if not entries:
        raise BibtexError(f"{path} holds no BibTeX entry with a title")
    return entries


def arxiv_entries(papers: list[dict]) -> str:
    """BibTeX for arXiv papers ({arxiv_id, version, title, authors, published, primary_category, doi,
    journal_ref}), in arXiv's own @misc form (eprint, archivePrefix, primaryClass), for Zotero or Mendeley."""
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter

    database = BibDatabase()
    for p in papers:
        authors = p.get("authors") or []
        surname = (authors[0].split()[-1] if authors else "arxiv").lower()
        year = str(p["published"].year) if p.get("published") else ""
        key = "".join(c for c in f"{surname}{year}_{p['arxiv_id']}" if c.isalnum() or c in "_.:-")
        entry = {"ENTRYTYPE": "misc", "ID": key,
                 "title": " ".join(p["title"].split()), "author": " and ".join(authors),
                 "eprint": p["arxiv_id"], "archiveprefix": "arXiv",
                 "url": f"https://arxiv.org/abs/{p['arxiv_id']}"}
        for key, value in (("year", year), ("primaryclass", p.get("primary_category")), ("doi", p.get("doi")),
                           ("note", p.get("journal_ref"))):
            if value:
                entry[key] = value
        database.entries.append(entry)
    writer = BibTexWriter()
    writer.order_entries_by = None
    return writer.write(database)
